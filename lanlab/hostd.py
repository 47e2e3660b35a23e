"""A lab host's life once it holds its lease: its programs, its ready marker, and its
DHCP client kept running.

nodes/entrypoint.py boots a host (finds its interface, starts busybox udhcpc, waits for the
lease and the router: lanlab.dhcp.client, which needs ipaddress, json and subprocess) and
then replaces itself with this module by os.execv: the same process, so udhcpc stays its
child, but a fresh interpreter started with `python3 -S` (no site: PYTHONPATH names where
lanlab lives) that imports only os, socket, threading and the chat listener. An idle host
is that interpreter, udhcpc and Docker's init; the lab holds one per host, so a few MiB each
add up (docs/scale.md has the figures).

    python3 -S -m lanlab.hostd STARTED -- UDHCPC_PID UDHCPC_ARGV...

STARTED is the boot's time.monotonic() reading (the clock is the system's, so it holds
across exec) for the "ready in X s" line. Once the programs listen, the host says ready;
then it waits on udhcpc and starts it again, a second later, whenever it exits.
"""
import os
import sys
import time

from lanlab import programs, ready


def parse(argv: list[str]) -> tuple[float, int, list[str]]:
    """(started, udhcpc's pid, udhcpc's argv) from this module's arguments."""
    try:
        if len(argv) >= 4 and argv[1] == "--":
            return float(argv[0]), int(argv[2]), argv[3:]
    except ValueError:
        pass
    raise ValueError("usage: python3 -S -m lanlab.hostd STARTED -- UDHCPC_PID UDHCPC_ARGV...")


def exec_argv(started: float, pid: int, udhcpc: list[str]) -> list[str]:
    """The command line the boot execs into (the inverse of `parse`)."""
    return [sys.executable, "-S", "-m", "lanlab.hostd", repr(started), "--", str(pid), *udhcpc]


def exec_env(environ=None) -> dict:
    """The environment for a `-S` interpreter: PYTHONPATH names where lanlab is, since
    without site no dist-packages folder is on the path."""
    env = dict(os.environ if environ is None else environ)
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH")) if p)
    return env


def keep_running(pid: int, argv: list[str], pause: float = 1.0) -> None:
    """Wait on udhcpc forever; start it again (after `pause` seconds) if it exits."""
    while True:
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            status = None  # not our child any more (it cannot happen, but never spin)
        code = os.waitstatus_to_exitcode(status) if status is not None else "gone"
        ready.log(f"udhcpc exited ({code}); starting it again")
        time.sleep(pause)
        pid = os.posix_spawnp(argv[0], argv, os.environ)


def main(argv: list[str]) -> int:
    try:
        started, pid, udhcpc = parse(argv)
    except ValueError as error:
        print(f"lanlab.hostd: {error}", file=sys.stderr)
        return 2
    programs.start()
    ready.mark_ready(started)
    keep_running(pid, udhcpc)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
