"""A log that a flood cannot drown: one line per event on stderr, at most `burst` lines a
second, the rest counted in one summary line. The DHCP server, the router's relay and
the DNS server log through it; bad packets come in floods. (The chat's Flood in
lanlab/chat/handler.py is kept apart on purpose: a token bucket over what a person
reads, whose summary goes to the chat's own log.)"""
from __future__ import annotations

import sys
import threading
import time


class RateLog:
    def __init__(self, prefix: str, burst: int = 100, clock=time.monotonic, out=None):
        self.prefix, self.burst, self.clock, self.out = prefix, burst, clock, out or sys.stderr
        self.window, self.count, self.dropped = clock(), 0, 0
        self.lock = threading.Lock()  # a server's threads share one log

    def __call__(self, line: str) -> None:
        """Log a line; an empty line only ends the last second (call it now and then)."""
        with self.lock:
            self.roll()
            if not line:
                return
            self.count += 1
            if self.count <= self.burst:
                self.write(line)
            else:
                self.dropped += 1

    def tick(self) -> None:
        self("")

    def roll(self) -> None:
        """Past the second: the summary line, if lines were held back; a new second."""
        if self.clock() - self.window < 1.0:
            return
        if self.dropped:
            self.write(f"... and {self.dropped} more lines like these in the last second")
        self.window, self.count, self.dropped = self.clock(), 0, 0

    def write(self, line: str) -> None:
        print(f"{self.prefix}: {line}", file=self.out, flush=True)
