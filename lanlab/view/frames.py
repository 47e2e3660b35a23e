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
RECENT_MAX = 5000

# (inventory, bpf) -> async iterator of (network, capture time, frame bytes)
Source = Callable[..., AsyncIterator[tuple[str, float, bytes]]]
# (network, capture time, frame bytes, inventory) -> the frame's JSON (docs/wire.md)
Decoder = Callable[..., dict]


def mac_text(data: bytes) -> str:
    return ":".join(f"{b:02x}" for b in data)


def link_of(network: str, data: bytes, inventory) -> tuple[str, str, str]:
    dst, src = data[0:6], data[6:12]
    dst_name = "*" if dst == b"\xff" * 6 else (inventory.node_by_mac(mac_text(dst)) or mac_text(dst))
    return network, inventory.node_by_mac(mac_text(src)) or mac_text(src), dst_name


class FrameHub:
    def __init__(self, live, source: Source, decode: Decoder, sampler: Sampler | None = None):
        self.live, self.source, self.decode = live, source, decode
        self.sampler = sampler or Sampler()
        self.viewers: set[asyncio.Queue] = set()
        self.recent: deque = deque(maxlen=RECENT_MAX)
        self.task: asyncio.Task | None = None
        self.bpf = ""
        self.bridges: tuple = ()
        self.counter = 0
        self.macs: dict[str, str] = {}

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

    def replay(self, seconds: float) -> list[dict]:
        since = time.time() - seconds
        return [frame for frame in self.recent if frame["time"] >= since]

    # --- the capture ------------------------------------------------------------------

    def set_filter(self, bpf: str) -> None:
        self.bpf = bpf.strip()
        self.restart()

    def restart(self) -> None:
        if self.task is not None:
            self.task.cancel()
        self.task = asyncio.create_task(self.capture())

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

    async def capture(self) -> None:
        inventory = self.live.inventory
        self.bridges = tuple(sorted(n.bridge for n in inventory.networks.values()))
        if not inventory.networks:
            self.send({"kind": "capture", "state": "waiting", "message": "the lab is not up"})
            return
        self.send({"kind": "capture", "state": "running", "filter": self.bpf,
                   "networks": sorted(inventory.networks)})
        try:
            async for network, t, data in self.source(inventory, self.bpf):
                self.take(network, t, data, inventory)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - the page is told; the server goes on
            LOG.warning("lanlab view: capture stopped: %s", error)
            self.send({"kind": "capture", "state": "error", "message": str(error)})
            return
        self.send({"kind": "capture", "state": "stopped"})

    def take(self, network: str, t: float, data: bytes, inventory) -> None:
        now = time.monotonic()
        if self.sampler.due(now):
            for count in self.sampler.flush(now):
                self.send(count)
        if len(data) < 14 or not self.sampler.admit(link_of(network, data, inventory), now):
            return
        frame = self.decode(network, t, data, inventory)
        self.counter += 1
        frame.update(kind="frame", id=self.counter, time=t)
        self.recent.append(frame)
        while self.recent and self.recent[0]["time"] < t - RECENT_SECONDS:
            self.recent.popleft()
        self.send(frame)
