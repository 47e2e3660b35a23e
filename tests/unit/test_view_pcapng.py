"""The pcapng stream reader (lanlab/view/pcapng.py) against scapy's pcapng writer."""
from __future__ import annotations

import asyncio
import io
import struct

import pytest
from scapy.layers.l2 import Ether
from scapy.layers.inet import ICMP, IP
from scapy.utils import PcapNgWriter

from lanlab.view import pcapng


def read_all(data: bytes) -> list[tuple[int, float, bytes]]:
    stream = io.BytesIO(data)

    async def readexactly(n: int) -> bytes:
        chunk = stream.read(n)
        if len(chunk) < n:
            raise asyncio.IncompleteReadError(chunk, n)
        return chunk

    async def collect():
        out = []
        try:
            async for item in pcapng.frames(readexactly):
                out.append(item)
        except asyncio.IncompleteReadError:
            pass
        return out
    return asyncio.run(collect())


def test_frames_written_by_scapy_read_back(tmp_path):
    packets = [Ether(src="02:42:ac:1c:07:14", dst="02:42:ac:1c:07:01") / IP(dst="172.28.13.18", ttl=64) / ICMP()
               for _ in range(3)]
    for i, packet in enumerate(packets):
        packet.time = 1795970000.25 + i
    path = tmp_path / "x.pcapng"
    with PcapNgWriter(str(path)) as writer:
        for packet in packets:
            writer.write(packet)
    frames = read_all(path.read_bytes())
    assert [f[2] for f in frames] == [bytes(p) for p in packets], "each frame's bytes as written"
    assert [round(f[1], 3) for f in frames] == [1795970000.25, 1795970001.25, 1795970002.25], \
        "timestamps in seconds: the latency benchmark starts from them"
    assert {f[0] for f in frames} == {0}, "one interface: index 0"


def block(kind: int, body: bytes) -> bytes:
    length = 12 + len(body)
    return struct.pack("<II", kind, length) + body + struct.pack("<I", length)


def test_two_interfaces_and_nanosecond_resolution():
    shb = block(pcapng.SHB, struct.pack("<IHHq", pcapng.MAGIC, 1, 0, -1))
    tsresol_ns = struct.pack("<HHB3x", 9, 1, 9) + struct.pack("<HH", 0, 0)
    idb0 = block(pcapng.IDB, struct.pack("<HHI", 1, 0, 2048))
    idb1 = block(pcapng.IDB, struct.pack("<HHI", 1, 0, 2048) + tsresol_ns)
    frame = bytes(range(60))
    ts = 1_795_970_000_500_000_000
    epb = block(pcapng.EPB, struct.pack("<IIIII", 1, ts >> 32, ts & 0xFFFFFFFF, 60, 60) + frame)
    frames = read_all(shb + idb0 + idb1 + epb)
    assert frames == [(1, pytest.approx(1795970000.5), frame)], \
        "the frame belongs to the second interface (its network), time in nanoseconds"


def test_not_pcapng_is_refused():
    with pytest.raises(pcapng.PcapngError):
        read_all(block(pcapng.IDB, b"\0" * 8)[:4] + struct.pack("<I", 7) + b"\0" * 20)
