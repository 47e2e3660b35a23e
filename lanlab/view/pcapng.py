"""Read a pcapng stream as it is written (IETF draft-ietf-opsawg-pcapng): the Section
Header Block sets the byte order, Interface Description Blocks (in the order of dumpcap's
-i arguments) give each interface's link type and timestamp resolution (if_tsresol),
Enhanced Packet Blocks carry the frames. Other blocks are skipped. Pure parsing over an
async `readexactly`; PcapngError for a stream that is not pcapng.
"""
from __future__ import annotations

import struct
from typing import AsyncIterator, Awaitable, Callable

SHB, IDB, EPB = 0x0A0D0D0A, 1, 6
MAGIC = 0x1A2B3C4D
MAX_BLOCK = 1 << 20
LINKTYPE_ETHERNET = 1


class PcapngError(ValueError):
    """The stream is not pcapng, or a block is malformed."""


def tsresol_of(options: bytes, order: str) -> float:
    """Seconds per timestamp unit from an IDB's options (default microseconds)."""
    at = 0
    while at + 4 <= len(options):
        code, length = struct.unpack_from(order + "HH", options, at)
        value = options[at + 4: at + 4 + length]
        if code == 0:
            break
        if code == 9 and value:
            raw = value[0]
            return 2.0 ** -(raw & 0x7F) if raw & 0x80 else 10.0 ** -raw
        at += 4 + length + (-length % 4)
    return 1e-6


async def frames(readexactly: Callable[[int], Awaitable[bytes]]) -> AsyncIterator[tuple[int, float, bytes]]:
    """(interface index, timestamp in seconds, frame bytes) for each Ethernet frame."""
    order, interfaces = "<", []
    while True:
        head = await readexactly(8)
        kind_le, = struct.unpack("<I", head[:4])
        if kind_le == SHB:
            magic = await readexactly(4)
            order = "<" if struct.unpack("<I", magic)[0] == MAGIC else ">"
            if struct.unpack(order + "I", magic)[0] != MAGIC:
                raise PcapngError("bad byte-order magic in the section header")
            length = struct.unpack(order + "I", head[4:])[0]
            check(length, 28)
            await readexactly(length - 12)
            interfaces = []
            continue
        kind, length = struct.unpack(order + "II", head)
        check(length, 12)
        body = (await readexactly(length - 8))[:-4]
        if kind == IDB and len(body) >= 8:
            linktype, = struct.unpack_from(order + "H", body, 0)
            interfaces.append((linktype, tsresol_of(body[8:], order)))
        elif kind == EPB and len(body) >= 20:
            index, high, low, caplen, _ = struct.unpack_from(order + "IIIII", body, 0)
            if index < len(interfaces) and interfaces[index][0] == LINKTYPE_ETHERNET:
                yield index, ((high << 32) | low) * interfaces[index][1], body[20:20 + caplen]


def check(length: int, least: int) -> None:
    if length < least or length > MAX_BLOCK or length % 4:
        raise PcapngError(f"a pcapng block of {length} bytes")
