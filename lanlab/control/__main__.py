"""`python -m lanlab.control COMMAND [--subnets N --hosts M [--base A.B]]`: what the
Makefile's targets run.

    up        build what is missing, start the lab, wait until ready, print the time
    down      remove the lab's containers, networks and volumes; without --subnets,
              the default lab and every generated lab started under LANLAB_PROJECT
    wait      wait until the running lab is ready
    status    a table: node, network, address, gateway, health
    logs      every container's log
    container NODE   print the container id of NODE (for `make shell`)
    link [--net N --delay D --loss L --rate R --node X --clear --down --up --hub 0|1]
              a network's conditions, live; alone: every network's (lanlab/control/links.py)
    base      build the base image if its package list changed
    view [--port 8080] [--host 127.0.0.1]
              the web view of the running lab (lanlab/view/server.py); prints its URL
    view-deps install the host's Debian packages for the view and its browser tests
    clean     down, then remove the lab's images and the base image
    capture   capture the lab's networks into pcap files (lanlab/control/wire.py)
    trace     run a command in a node and print the ladder of its frames
    show      the ladder, or one frame layer by layer, of a saved trace
    check LESSON [WORK]   run a lesson's checks on a learner's workspace (default work/)
    grade DIR [LESSONS]   check every student's workspace in DIR (lessons comma-separated)

With --lab PATH a command acts on the lab of that lab file (lanlab/control/labfile.py,
docs/labs.md), project LANLAB_PROJECT-<name>; labs/default.yaml is the default lab.
With --subnets N --hosts M a command acts on the generated lab of N subnets of M hosts
(lanlab/topology.py, lanlab/control/generate.py), project LANLAB_PROJECT-NxM, addresses
in --base (or LANLAB_BASE, default 10.100). Without them, status, logs, wait and
container act on the lab `make up` started last if it runs, else on the default lab if
it runs, else on the one generated or lab-file lab that does.

Errors are one line on stderr and exit status 1.
"""
from __future__ import annotations

import subprocess
import sys

from lanlab import exits
from lanlab.control import base, hostdeps, links, wire
from lanlab.control.errors import LabError
from lanlab.control.errors import say
from lanlab.control.lab import Lab, generated_labs, last_project
from lanlab.control.status import format_table


def cmd_status(lab: Lab) -> None:
    rows = lab.status_rows()
    if not rows:
        raise LabError(f"lab {lab.project!r} is not running; start it with `make up`")
    print(format_table(rows))


def cmd_logs(lab: Lab) -> None:
    lab.compose.run("logs", "--no-color", "--tail", "200", timeout=60)


def cmd_clean(lab: Lab) -> None:
    for each in (lab, *generated_labs()):
        each.down()
    images = subprocess.run(["docker", "images", "--format", "{{.Repository}}:{{.Tag}}"],
                            capture_output=True, text=True).stdout.split()
    ours = [i for i in images if i.startswith(("lanlab/", "lanlab-base:"))]
    if ours:
        say(f"removing images: {' '.join(ours)}")
        subprocess.run(["docker", "rmi", "-f", *ours], capture_output=True)


def cmd_down(lab: Lab, options: dict) -> None:
    labs = [lab] if options else [lab, *generated_labs()]
    for each in labs:
        say(f"lab {each.project!r} removed in {each.down():.1f} s")
        links.forget(each.project)


def cmd_view(lab: Lab, args: list[str]) -> None:
    from lanlab.view import server
    options = dict(zip(args[::2], args[1::2]))
    host = options.get("--host") or "127.0.0.1"
    try:
        port = int(options.get("--port") or 8080)
    except ValueError:
        raise LabError("PORT is a number, e.g. `make view PORT=8080`") from None
    if not 0 < port < 65536:
        raise LabError(f"PORT {port} is not a TCP port (1-65535)")
    server.main(lab.project, host, port)


def cmd_check(lab: Lab, args: list[str]) -> None:
    from lanlab.lessons import check
    if check.main(lab, args) != 0:
        raise SystemExit(1)


def cmd_grade(lab: Lab, args: list[str]) -> None:
    from lanlab.lessons import grade
    grade.main(lab, args)


def parse(args: list[str]) -> tuple[list[str], dict]:
    """Split `--subnets 10 --hosts 10 --base 10.100` (empty values allowed) from the rest."""
    rest, options = [], {}
    items = iter(args)
    for arg in items:
        if arg in ("--subnets", "--hosts", "--base", "--lab"):
            value = next(items, "")
            if value:
                options[arg[2:]] = value
        else:
            rest.append(arg)
    return rest, options


def choose_lab(command: str, options: dict) -> Lab:
    if "lab" in options:
        if {"subnets", "hosts"} & options.keys():
            raise LabError("give either LAB=path or SUBNETS and HOSTS, not both")
        return Lab.from_labfile(options["lab"])
    if {"subnets", "hosts"} - options.keys():
        if options:
            raise LabError("give both SUBNETS and HOSTS, e.g. `make up SUBNETS=10 HOSTS=10`")
        return running_lab() if command in ("status", "logs", "wait", "container", "link", "view", "check",
                                            "grade") else Lab.from_env()
    try:
        subnets, hosts = int(options["subnets"]), int(options["hosts"])
    except ValueError:
        raise LabError("SUBNETS and HOSTS are whole numbers, e.g. SUBNETS=10 HOSTS=10") from None
    return Lab.generated(subnets, hosts, options.get("base"))


def running_lab() -> Lab:
    """The lab `make up` started last if it runs; else the default lab if it runs; else
    the one generated or lab-file lab that runs."""
    default = Lab.from_env()
    running = [each for each in (default, *generated_labs()) if each.containers()]
    last = last_project()
    for each in running:
        if each.project == last:
            return each
    if any(each is default for each in running):
        return default
    return running[0] if len(running) == 1 else default


COMMANDS = {
    "up": lambda lab, args: lab.up(),
    "wait": lambda lab, args: lab.wait(),
    "status": lambda lab, args: cmd_status(lab),
    "logs": lambda lab, args: cmd_logs(lab),
    "container": lambda lab, args: print(lab.container(args[0]).id),
    "base": lambda lab, args: print(base.ensure_base(flavour=args[0] if args else "base")),
    "clean": lambda lab, args: cmd_clean(lab),
    "link": lambda lab, args: print(links.run(lab.project, links.parse(args))),
    "view": cmd_view,
    "view-deps": lambda lab, args: hostdeps.install(),
    "check": cmd_check,
    "grade": cmd_grade,
}


def main(argv: list[str] | None = None) -> int:
    args, options = parse(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in (*COMMANDS, *wire.COMMANDS, "down"):
        print(__doc__, file=sys.stderr)
        return 2
    return exits.run(lambda: run_command(args, options), LabError, "lanlab: error", "lanlab: stopped by Ctrl-C")


def run_command(args: list[str], options: dict) -> int | None:
    if args[0] in wire.COMMANDS:
        project = choose_lab("status", options).project if args[0] != "show" else ""
        return wire.main(project, args)
    lab = choose_lab(args[0], options)
    if args[0] == "down":
        cmd_down(lab, options)
    else:
        COMMANDS[args[0]](lab, args[1:])


if __name__ == "__main__":
    sys.exit(main())
