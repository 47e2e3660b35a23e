"""Frames for the page: one capture of the lab's networks, shared by every viewer.

The capture starts with the first viewer of /api/frames and stops with the last, and
starts again when the lab's networks change (the lab went down and came up) or a viewer
sets a BPF filter. Each captured frame is first sampled on its link (its network and
Ethernet source and destination, read from the raw bytes: no decode for frames that are
only counted), then decoded into the frame JSON of docs/wire.md and sent to every viewer.
Each viewer has a bounded queue: a slow page loses frames, the server does not grow.
The frames of the last minute are kept (bounded) for a replay.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import AsyncIterator, Callable

from lanlab.view.sampler import Sampler

LOG = logging.getLogger("lanlab.view")
QUEUE = 1000             # messages waiting for one viewer
RECENT_SECONDS = 60.0
RECENT_MAX = 2000
BROADCAST = b"\xff" * 6

# (inventory, bpf) -> async iterator of (network, capture time, frame bytes)
Source = Callable[..., AsyncIterator[tuple[str, float, bytes]]]
# inventory -> a function (network, capture time, frame bytes) -> the frame's JSON (docs/wire.md)
DecoderFor = Callable[..., Callable[[str, float, bytes], dict]]


def mac_text(data: bytes) -> str:
    return ":".join(f"{b:02x}" for b in data)


def link_of(network: str, data: bytes) -> tuple[str, bytes, bytes]:
    """The hop a frame takes: its network, Ethernet source and destination (raw bytes)."""
    return network, data[6:12], data[0:6]


class FrameHub:
    def __init__(self, live, source: Source, decoder_for: DecoderFor, sampler: Sampler | None = None):
        self.live, self.source, self.decoder_for = live, source, decoder_for
        self.sampler = sampler or Sampler()
        self.viewers: set[asyncio.Queue] = set()
        self.recent: deque = deque(maxlen=RECENT_MAX)
        self.task: asyncio.Task | None = None
        self.bpf = ""
        self.bridges: tuple = ()
        self.counter = 0
        self.macs: dict[bytes, str] = {}

    # --- viewers --------------------------------------------------------------------

    def join(self) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(maxsize=QUEUE)
        self.viewers.add(queue)
        if self.task is None:
            self.restart()
        return queue

    async def leave(self, queue: asyncio.Queue) -> None:
        self.viewers.discard(queue)
        if not self.viewers:
            await self.stop()

    def send(self, message: dict) -> None:
        for queue in list(self.viewers):
            if queue.full():
                continue          # this viewer is behind: it misses the message
            queue.put_nowait(message)

    def named(self, count: dict) -> dict:
        """A count's link with node names (or MAC addresses), as the page shows it."""
        for end in ("src", "dst"):
            raw = count[end]
            if isinstance(raw, bytes):
                count[end] = "*" if raw == BROADCAST else self.macs.get(raw) or mac_text(raw)
        return count

    def replay(self, seconds: float) -> list[dict]:
        since = time.time() - seconds
        return [frame for frame in self.recent if frame["time"] >= since]

    # --- the capture ------------------------------------------------------------------

    def set_filter(self, bpf: str) -> None:
        self.bpf = bpf.strip()
        self.restart()

    def restart(self) -> None:
        """A new capture, started once the old one has stopped (one container at a time)."""
        old = self.task
        if old is not None:
            old.cancel()
        self.task = asyncio.create_task(self.capture(after=old))

    def lab_changed(self) -> None:
        """Called when the lab changed: a capture follows the lab's current bridges."""
        bridges = tuple(sorted(n.bridge for n in self.live.inventory.networks.values()))
        if self.viewers and bridges != self.bridges:
            self.restart()

    async def stop(self) -> None:
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def capture(self, after: asyncio.Task | None = None) -> None:
        if after is not None:
            await asyncio.gather(after, return_exceptions=True)
        inventory = self.live.inventory
        self.bridges = tuple(sorted(n.bridge for n in inventory.networks.values()))
        if not inventory.networks:
            self.send({"kind": "capture", "state": "waiting", "message": "the lab is not up"})
            return
        self.send({"kind": "capture", "state": "running", "filter": self.bpf,
                   "networks": sorted(inventory.networks)})
        self.macs = {bytes.fromhex(i.mac.replace(":", "")): node.name
                     for node in inventory.nodes.values() for i in node.interfaces if i.mac}
        decode = self.decoder_for(inventory)
        ticker = asyncio.create_task(self.tick())
        try:
            async for network, t, data in self.source(inventory, self.bpf):
                self.take(network, t, data, decode)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - the page is told; the server goes on
            LOG.warning("lanlab view: capture stopped: %s", error)
            self.send({"kind": "capture", "state": "error", "message": str(error)})
            return
        finally:
            ticker.cancel()
        self.send({"kind": "capture", "state": "stopped"})

    async def tick(self) -> None:
        """The counts of each window, also when no frame comes to close it."""
        while True:
            await asyncio.sleep(self.sampler.window)
            self.flush(time.monotonic())

    def flush(self, now: float) -> None:
        if self.sampler.due(now):
            for count in self.sampler.flush(now):
                self.send(self.named(count))

    def take(self, network: str, t: float, data: bytes, decode) -> None:
        now = time.monotonic()
        self.flush(now)
        if len(data) < 14 or not self.sampler.admit(link_of(network, data), now):
            return
        frame = decode(network, t, data)
        self.counter += 1
        frame.update(kind="frame", id=self.counter, time=t)
        self.recent.append(frame)
        while self.recent and self.recent[0]["time"] < t - RECENT_SECONDS:
            self.recent.popleft()
        self.send(frame)
