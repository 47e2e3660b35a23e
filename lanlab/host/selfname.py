"""Does this host's own name resolve yet? One DNS query, RFC 1035 section 4.1.

A lab host is ready only once the lab's DNS server answers its name with its leased
address: the DHCP server registers every lease by an RFC 2136 update
(lanlab/dhcp/dnsq.py), a few milliseconds after the ACK, and a user's first
`ping bob` must not race it. Each host asks for itself, in parallel with the others,
so `make up` needs no check of its own afterwards (one `dig` per start cost the whole
lab a tenth of a second).

    query(name, ident) -> bytes        an A question, recursion desired
    answers(reply, ident) -> [str]     the A records of a reply to that question
    resolver(text) -> (server, domain) from /etc/resolv.conf as nodes/udhcpc.script writes it

Only os, socket, struct and time are imported (this runs in every host's lean process,
lanlab/host/program.py); the one function with I/O, `resolves`, is at the end.
"""
import os
import socket
import struct
import time

from lanlab.contracts import DNS_PORT

A = 1
IN = 1
HEADER = struct.Struct("!HHHHHH")


class Malformed(ValueError):
    pass


def encode_name(name: str) -> bytes:
    out = b""
    for label in name.rstrip(".").split("."):
        raw = label.encode("ascii")
        if not 0 < len(raw) < 64:
            raise ValueError(f"{name!r} is not a DNS name")
        out += bytes([len(raw)]) + raw
    return out + b"\0"


def query(name: str, ident: int) -> bytes:
    """A standard query (opcode 0, RD set) for the A records of `name`."""
    return HEADER.pack(ident, 0x0100, 1, 0, 0, 0) + encode_name(name) + struct.pack("!HH", A, IN)


def skip_name(data: bytes, offset: int) -> int:
    """The offset just after the (possibly compressed) name at `offset`."""
    while True:
        if offset >= len(data):
            raise Malformed("a name runs past the end of the message")
        length = data[offset]
        if length & 0xC0 == 0xC0:
            return offset + 2
        if length & 0xC0:
            raise Malformed(f"label type {length >> 6} is not allowed")
        offset += 1 + length
        if length == 0:
            return offset


def answers(reply: bytes, ident: int) -> list[str]:
    """The A records in a reply to query(..., ident); [] for an error or no answer.
    Raises Malformed for a message that is not such a reply."""
    if len(reply) < HEADER.size:
        raise Malformed(f"{len(reply)} bytes is shorter than a DNS header")
    got, flags, questions, count, _, _ = HEADER.unpack_from(reply)
    if got != ident or not flags & 0x8000:
        raise Malformed("not a reply to our query")
    if flags & 0x000F:
        return []  # NXDOMAIN (not registered yet) or another error
    offset = HEADER.size
    for _ in range(questions):
        offset = skip_name(reply, offset) + 4
    found = []
    for _ in range(count):
        offset = skip_name(reply, offset)
        if offset + 10 > len(reply):
            raise Malformed("a record runs past the end of the message")
        rtype, rclass, _, length = struct.unpack_from("!HHIH", reply, offset)
        offset += 10
        if offset + length > len(reply):
            raise Malformed("record data runs past the end of the message")
        if rtype == A and rclass == IN and length == 4:
            found.append(socket.inet_ntoa(reply[offset:offset + 4]))
        offset += length
    return found


def resolver(text: str) -> tuple[str | None, str | None]:
    """(first nameserver, search domain) of a resolv.conf."""
    server = domain = None
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] == "nameserver" and server is None:
            server = fields[1]
        elif len(fields) >= 2 and fields[0] in ("search", "domain") and domain is None:
            domain = fields[1]
    return server, domain


# --- the I/O: ask until the answer is our address -----------------------------------------

def resolves(name: str, address: str, server: str, wait: float = 0.1) -> bool:
    """One query to `server`, `wait` seconds for the reply: True if it answers `address`."""
    ident = int.from_bytes(os.urandom(2), "big")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(wait)
        try:
            sock.connect((server, DNS_PORT))
            sock.send(query(name, ident))
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                try:
                    return address in answers(sock.recv(4096), ident)
                except Malformed:
                    continue  # a stray or late datagram: keep waiting for ours
        except OSError:
            return False
    return False
