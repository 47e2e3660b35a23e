"""Keep the browser and the server small under a flood: per link, at most `per_link`
frames a second go on as frames, and at most `total` a second over all links; the rest
are counted per link and reported once a second. Pure: the caller gives the clock.

A link is (network, sender, receiver): the hop a frame takes on one network.
"""
from __future__ import annotations

from collections import Counter

MAX_LINKS = 4096          # distinct links remembered within one window; more share one key
OTHER = ("*", "*", "*")


class Sampler:
    def __init__(self, per_link: int = 25, total: int = 250, window: float = 1.0):
        self.per_link, self.total, self.window = per_link, total, window
        self.started: float | None = None
        self.passed: Counter = Counter()
        self.dropped: Counter = Counter()
        self.passed_total = 0

    def admit(self, link: tuple, now: float) -> bool:
        """True: send this frame on. False: it is only counted."""
        if self.started is None:
            self.started = now
        if link not in self.passed and link not in self.dropped and len(self.passed) + len(self.dropped) >= MAX_LINKS:
            link = OTHER
        if self.passed[link] >= self.per_link or self.passed_total >= self.total:
            self.dropped[link] += 1
            return False
        self.passed[link] += 1
        self.passed_total += 1
        return True

    def due(self, now: float) -> bool:
        return self.started is not None and now - self.started >= self.window

    def flush(self, now: float) -> list[dict]:
        """The counts of the window that ended: one dict per link that dropped frames."""
        seconds = now - self.started if self.started is not None else self.window
        counts = [{"kind": "count", "network": link[0], "src": link[1], "dst": link[2],
                   "dropped": dropped, "passed": self.passed.get(link, 0),
                   "seconds": round(seconds, 3)}
                  for link, dropped in sorted(self.dropped.items())]
        self.started, self.passed, self.dropped, self.passed_total = now, Counter(), Counter(), 0
        return counts
