"""Errors and progress lines of the lab control. Errors carry their own one-line message
(as Kathara does): caught once in lanlab.control.__main__, printed as one line, exit 1."""
import sys


class LabError(RuntimeError):
    """Something the user can fix; str(error) says what to do."""


def say(message: str) -> None:
    print(f"lanlab: {message}", file=sys.stderr, flush=True)
