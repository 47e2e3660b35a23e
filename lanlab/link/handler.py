"""The delay's bookkeeping, with no I/O: packets queued by the kernel are held for a fixed
time and then accepted, in the order they came.

One queue carries one interface's egress, so every packet in it waits the same time and
the packets fall due in arrival order (a FIFO). When several are due at once, one batch
verdict (NFQNL_MSG_VERDICT_BATCH: "every id up to this one") releases them together.
"""
from __future__ import annotations

from collections import deque


class Hold:
    """Packets waiting: (due time, packet id), oldest first."""

    def __init__(self, delay: float):
        self.delay = delay
        self.waiting: deque[tuple[float, int]] = deque()

    def add(self, packet_id: int, now: float) -> None:
        self.waiting.append((now + self.delay, packet_id))

    def due(self, now: float) -> int | None:
        """The highest id that is due now, taking it and every older one off the queue."""
        last = None
        while self.waiting and self.waiting[0][0] <= now:
            last = self.waiting.popleft()[1]
        return last

    def timeout(self, now: float) -> float | None:
        """Seconds until the next packet falls due; None when nothing waits."""
        if not self.waiting:
            return None
        return max(0.0, self.waiting[0][0] - now)
