"""`python -m lanlab.control COMMAND`: what the Makefile's targets run.

    up        build what is missing, start the lab, wait until ready, print the time
    down      remove the lab's containers, networks and volumes
    wait      wait until the running lab is ready
    status    a table: node, network, address, gateway, health
    logs      every container's log
    container NODE   print the container id of NODE (for `make shell`)
    base      build the base image if its package list changed
    clean     down, then remove the lab's images and the base image

Errors are one line on stderr and exit status 1.
"""
from __future__ import annotations

import subprocess
import sys

from lanlab.control import base
from lanlab.control.errors import LabError
from lanlab.control.lab import Lab, format_table, say


def cmd_status(lab: Lab) -> None:
    rows = lab.status_rows()
    if not rows:
        raise LabError(f"lab {lab.project!r} is not running; start it with `make up`")
    print(format_table(rows))


def cmd_logs(lab: Lab) -> None:
    lab.compose.run("logs", "--no-color", "--tail", "200", timeout=60)


def cmd_clean(lab: Lab) -> None:
    lab.down()
    images = subprocess.run(["docker", "images", "--format", "{{.Repository}}:{{.Tag}}"],
                            capture_output=True, text=True).stdout.split()
    ours = [i for i in images if i.startswith(("lanlab/", "lanlab-base:"))]
    if ours:
        say(f"removing images: {' '.join(ours)}")
        subprocess.run(["docker", "rmi", "-f", *ours], capture_output=True)


COMMANDS = {
    "up": lambda lab, args: lab.up(),
    "down": lambda lab, args: say(f"lab removed in {lab.down():.1f} s"),
    "wait": lambda lab, args: lab.wait(),
    "status": lambda lab, args: cmd_status(lab),
    "logs": lambda lab, args: cmd_logs(lab),
    "container": lambda lab, args: print(lab.container(args[0]).id),
    "base": lambda lab, args: print(base.ensure_base(flavour=args[0] if args else "base")),
    "clean": lambda lab, args: cmd_clean(lab),
}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        COMMANDS[args[0]](Lab.from_env(), args[1:])
    except LabError as error:
        print(f"lanlab: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
