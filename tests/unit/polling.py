"""Shared by the unit tests that run a server or the chat in threads: waiting until a line
with some text has been written."""
from __future__ import annotations

import time
from typing import Callable


def line_with(text: str, lines: Callable[[], list[str]], timeout: float) -> str | None:
    """The first of lines() that holds `text`, asked again every 20 ms until `timeout`
    seconds pass; None if none does by then."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in lines():
            if text in line:
                return line
        time.sleep(0.02)
    return None
