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
import struct
import tempfile
from pathlib import Path
from typing import AsyncIterator, Callable

from lanlab.control.errors import LabError
from lanlab.wire.capture import PCAP_HEADER, RECORD_HEADER, RING_FILES, Capture
from lanlab.wire.decode import Decoder, Record
from lanlab.wire.live import Follower

POLL = 0.05
LIMIT_MB = 64
CHUNK = 1 << 20         # bytes read from one network's ring a poll: what a burst may cost in memory
NANO_MAGICS = (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")


class ChunkFollower(Follower):
    """lanlab.wire's Follower, reading at most CHUNK bytes at a time: under a flood the
    server reads the ring a piece at a time instead of whole files."""

    def new(self) -> list[tuple[float, bytes]]:
        records, self.offset = read_chunk(self.path(self.index), self.offset, CHUNK)
        full = max(1, self.capture.limit_mb // RING_FILES) * 1_000_000
        if not records and self.offset >= full and self.path((self.index + 1) % RING_FILES).exists():
            self.index, self.offset = (self.index + 1) % RING_FILES, PCAP_HEADER
        return records


def read_chunk(path: Path, offset: int, size: int) -> tuple[list[tuple[float, bytes]], int]:
    """Whole pcap records (libpcap format) in `size` bytes from `offset`, and the next offset."""
    try:
        with open(path, "rb") as file:
            magic = file.read(4)
            file.seek(offset)
            data = file.read(size)
    except OSError:
        return [], offset
    order = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    scale = 1e-9 if magic in NANO_MAGICS else 1e-6
    records, at = [], 0
    while at + RECORD_HEADER <= len(data):
        seconds, fraction, length, _ = struct.unpack_from(order + "IIII", data, at)
        if at + RECORD_HEADER + length > len(data):
            if length > size:           # a frame bigger than a chunk: skip it whole
                at += RECORD_HEADER + length
            break
        records.append((seconds + fraction * scale, data[at + RECORD_HEADER:at + RECORD_HEADER + length]))
        at += RECORD_HEADER + length
    return records, offset + at


async def source(inventory, bpf: str = "") -> AsyncIterator[tuple[str, float, bytes]]:
    """(network, capture time, frame bytes) of every frame on every network, until cancelled."""
    networks = sorted(inventory.networks.values(), key=lambda n: n.name)
    out = Path(tempfile.mkdtemp(prefix=f"lanlab-view-{inventory.project}-"))
    capture = Capture(inventory.project, networks, out, bpf, LIMIT_MB, immediate=True)
    start = asyncio.ensure_future(asyncio.to_thread(capture.start))
    try:
        try:
            await asyncio.shield(start)
        except LabError as error:
            raise RuntimeError(str(error)) from None
        followers = [ChunkFollower(capture, network.name) for network in networks]
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
