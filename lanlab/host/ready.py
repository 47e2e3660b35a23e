"""A container's "ready" marker and its log lines, with nothing but `os` imported.

Every lab container writes the ready marker (contracts.READY) when its start has finished
(Docker's healthcheck, nodes/bin/lanlab-health, tests it) and logs the ready line
(contracts.ready_line; the lab control reads it: lanlab/control/watch.py). In a generated
lab it also leaves a file named after itself in LANLAB_READY_DIR, a directory shared with the lab
control, which then sees 200 hosts get ready by listing one directory, with no Docker
call per host.

Kept apart from lanlab.host.node (which needs ipaddress, json and subprocess for the start-up)
because a host's one process (lanlab/host/program.py) imports only this: every host's memory
and start-up CPU counts.
"""
import os
import sys
import time

from lanlab import contracts

READY = contracts.READY


def node_name() -> str:
    return os.environ.get("LANLAB_NODE") or os.uname().nodename


def log(message: str) -> None:
    print(f"lanlab[{node_name()}]: {message}", file=sys.stderr, flush=True)


def shared_marker():
    """The path of this container's file in LANLAB_READY_DIR, or None outside a
    generated lab."""
    directory = os.environ.get(contracts.READY_DIR_VARIABLE)
    name = os.environ.get("LANLAB_NODE")
    return os.path.join(directory, name) if directory and name else None


def write(path: str, text: str) -> None:
    with open(path, "w") as out:
        out.write(text)


def remove(path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def mark_ready(started: float) -> None:
    """`started` is the time.monotonic() reading taken when the start began."""
    took = f"{time.monotonic() - started:.2f}"
    os.makedirs(os.path.dirname(READY), exist_ok=True)
    write(READY, took + "\n")
    marker = shared_marker()
    if marker is not None:
        write(marker, took + "\n")
    print(contracts.ready_line(node_name(), took), file=sys.stderr, flush=True)


def clear_ready() -> None:
    remove(READY)
    marker = shared_marker()
    if marker is not None:
        remove(marker)


def wait_for(check, timeout: float, pause: float = 0.1) -> bool:
    """Call `check` every `pause` seconds until it is true (True) or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(pause)
    return False
