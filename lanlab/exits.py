"""How a command-line program ends (as Kathara does): its own error type is caught once, at
its edge, and printed as one line on stderr; the exit status is 1 for that error and 130 for
Ctrl-C (128 + SIGINT, as a shell reports it). The lab control, `chat` and `fetch` end here."""
from __future__ import annotations

import sys
from typing import Callable


def run(work: Callable[[], int | None], errors: type[Exception], prefix: str,
        interrupted: str | None = None) -> int:
    """work()'s exit status (None counts as 0); an `errors` exception is the line
    "PREFIX: error" and status 1; Ctrl-C is status 130, after the line `interrupted` if given."""
    try:
        return work() or 0
    except errors as error:
        print(f"{prefix}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if interrupted:
            print(interrupted, file=sys.stderr)
        return 130
