"""`learner COMMAND...`: run a command in a lab node as the ordinary user `learner`
(the Dockerfile), with no capabilities, so a learner's program cannot change the lab.

The node itself has NET_ADMIN and NET_RAW (the DHCP client and the router need them);
setpriv drops every capability from the inheritable and bounding sets, so neither the
program nor anything it starts can regain one. NET_RAW stays in the bounding set only
for ping, whose file capability needs it: a learner may ping, not open a raw socket.
The check runner (lanlab/lessons/runner.py) starts every program through argv().
"""
from __future__ import annotations

import os
import sys

USER = "learner"
UID = 1500          # the Dockerfile's useradd; no one's on the host


def argv(command: list[str]) -> list[str]:
    return ["setpriv", f"--reuid={USER}", f"--regid={USER}", "--init-groups",
            "--inh-caps=-all", "--bounding-set=-all,+net_raw", "--",
            "env", f"HOME=/home/{USER}", f"USER={USER}", "PYTHONUNBUFFERED=1", *command]


def main(args: list[str] | None = None) -> int:
    args = sys.argv[1:] if args is None else args
    if not args:
        print("usage: learner COMMAND [ARG...]   e.g. learner python3 /work/udp/receiver.py 9999",
              file=sys.stderr)
        return 2
    command = argv(args)
    try:
        os.execvp(command[0], command)
    except OSError as error:
        print(f"learner: cannot run {args[0]}: {error.strerror}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
