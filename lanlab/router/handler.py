"""The DHCP relay agent's decisions (RFC 2131 4.1 and RFC 1542 section 4; relay agent
information, option 82, RFC 3046), with no I/O.

A relay sits on the client subnets (links) and passes messages between them and the
server:

    client -> server   BOOTREQUEST from a link: hops + 1 (dropped past max_hops), giaddr
                       set to the relay's address on that link unless a relay before us
                       set it, option 82 added with the link's subnet as circuit id;
                       sent to the server, port 67
    server -> client   BOOTREPLY to one of our giaddrs: option 82 checked and removed
                       (RFC 3046 2.2), sent out of that link to ciaddr if the client has
                       one, else broadcast (RFC 2131 4.1 allows broadcast when unicasting
                       to an unconfigured client is not possible)

Requests arriving on the server's own subnet are not relayed (the server hears them
itself; relaying them would make double offers).
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from lanlab.contracts import DHCP_CLIENT_PORT, DHCP_SERVER_PORT
from lanlab.dhcp import codec

MAX_HOPS = 16  # RFC 1542 4.1.1: "SHOULD be configurable", 16 is the usual default
SERVER_PORT, CLIENT_PORT = DHCP_SERVER_PORT, DHCP_CLIENT_PORT
OP_NAMES = {codec.OP_REQUEST: "BOOTREQUEST", codec.OP_REPLY: "BOOTREPLY"}


def parse(data: bytes, op: int, kind: str, where: str) -> codec.Message | str:
    """The message in `data` if it parses and has `op`; else a log line saying why it was dropped."""
    try:
        msg = codec.parse(data)
    except codec.DhcpError as error:
        return f"dropped a malformed {kind}: {error}"
    if msg.op != op:
        return f"dropped a {OP_NAMES[msg.op]} (op {msg.op}) {where}"
    return msg


@dataclass(frozen=True)
class Link:
    """One client subnet the relay serves: its interface, and the relay's address there."""
    name: str
    address: ipaddress.IPv4Interface

    @property
    def circuit_id(self) -> bytes:
        return str(self.address.network).encode()


@dataclass(frozen=True)
class Send:
    data: bytes
    address: str
    port: int
    link: Link | None = None  # out of this link (to a client); None: toward the server


@dataclass(frozen=True)
class Relay:
    server: ipaddress.IPv4Address
    links: tuple[Link, ...]
    max_hops: int = MAX_HOPS

    def link_for(self, address: ipaddress.IPv4Address) -> Link | None:
        for link in self.links:
            if link.address.ip == address:
                return link
        return None

    def from_client(self, data: bytes, link: Link) -> Send | str:
        """A request heard on `link`; a Send, or a log line saying why it was dropped."""
        msg = parse(data, codec.OP_REQUEST, f"request on {link.name}", f"heard on client link {link.name}")
        if isinstance(msg, str):
            return msg
        if msg.hops >= self.max_hops:
            return f"dropped xid {msg.xid:#x}: {msg.hops} hops, the limit is {self.max_hops}"
        append, giaddr = b"", None
        if msg.giaddr == codec.ZERO:
            if msg.option(82) is not None:  # RFC 3046 2.1.1: a client must not send it
                return f"dropped xid {msg.xid:#x} on {link.name}: a client sent relay agent information"
            giaddr = link.address.ip
            info = codec.suboption_bytes([(codec.CIRCUIT_ID, link.circuit_id)])
            append = codec.option_bytes([(82, info)])
        try:
            data = codec.edit(data, hops=msg.hops + 1, giaddr=giaddr, append=append)
        except codec.DhcpError as error:
            return f"dropped xid {msg.xid:#x} on {link.name}: {error}"
        return Send(data, str(self.server), SERVER_PORT)

    def from_server(self, data: bytes) -> Send | str:
        """A reply from the server, for one of our links."""
        msg = parse(data, codec.OP_REPLY, "reply", "that came from the server side")
        if isinstance(msg, str):
            return msg
        link = self.link_for(msg.giaddr)
        if link is None:
            return f"dropped a reply for giaddr {msg.giaddr}: not one of this relay's addresses"
        try:
            circuit = dict(codec.suboptions(msg.option(82) or b"")).get(codec.CIRCUIT_ID)
            data = codec.edit(data, drop=82)
        except codec.DhcpError as error:
            return f"dropped a reply for {msg.giaddr}: {error}"
        if circuit is not None and circuit != link.circuit_id:
            return f"dropped a reply for {msg.giaddr}: circuit id {circuit!r} is not {link.name}'s"
        if msg.ciaddr != codec.ZERO and msg.ciaddr in link.address.network \
                and msg.message_type != codec.NAK:
            return Send(data, str(msg.ciaddr), CLIENT_PORT, link)
        return Send(data, "255.255.255.255", CLIENT_PORT, link)
