"""The view's frames: lanlab.wire's capture of every network of the lab (tcpdump on each
network's host-side bridge, in a capture container; docs/wire.md), followed as it is
written, and lanlab.wire's decoder for the frames the view sends on.

The capture's ring lives in a temporary directory (at most LIMIT_MB per network) that is
removed with the container when the capture stops. New records of every network are
read every POLL seconds and handed on in time order.
"""
from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import AsyncIterator, Callable

from lanlab.control.errors import LabError
from lanlab.wire.capture import Capture
from lanlab.wire.decode import Decoder, Record
from lanlab.wire.live import Follower

POLL = 0.05
LIMIT_MB = 64


async def source(inventory, bpf: str = "") -> AsyncIterator[tuple[str, float, bytes]]:
    """(network, capture time, frame bytes) of every frame on every network, until cancelled."""
    networks = sorted(inventory.networks.values(), key=lambda n: n.name)
    out = Path(tempfile.mkdtemp(prefix=f"lanlab-view-{inventory.project}-"))
    capture = Capture(inventory.project, networks, out, bpf, LIMIT_MB)
    start = asyncio.ensure_future(asyncio.to_thread(capture.start))
    try:
        try:
            await asyncio.shield(start)
        except LabError as error:
            raise RuntimeError(str(error)) from None
        followers = [Follower(capture, network.name) for network in networks]
        idle = 0
        while True:
            batch = [(f.network, t, data) for f in followers for t, data in f.new()]
            for item in sorted(batch, key=lambda item: item[1]):
                yield item
            idle = 0 if batch else idle + 1
            if idle and idle % 40 == 0 and not await asyncio.to_thread(capture.running):
                raise RuntimeError(await asyncio.to_thread(capture.failure))
            await asyncio.sleep(POLL)
    finally:
        await asyncio.gather(start, return_exceptions=True)
        await asyncio.to_thread(remove, capture, out)


def remove(capture: Capture, out: Path) -> None:
    capture.abandon()
    shutil.rmtree(out, ignore_errors=True)


def decoder(inventory) -> Callable[[str, float, bytes], dict]:
    """A decode function for one capture: it joins the hops of a packet across networks."""
    macs = {i.mac: node.name for node in inventory.nodes.values() for i in node.interfaces}
    wire = Decoder(macs.get)

    def decode(network: str, t: float, data: bytes) -> dict:
        return wire.add(Record(network, t, data)).to_json()
    return decode
