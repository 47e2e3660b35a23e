"""DHCPv4 messages on the wire, with no I/O.

RFC 2131 section 2 gives the fixed BOOTP header (op, htype, hlen, hops, xid, secs, flags,
ciaddr, yiaddr, siaddr, giaddr, chaddr, sname, file), then the magic cookie 99.130.83.99
and the options. RFC 2132 defines the options, each a code, a length and a value
(0 is padding, 255 the end); option 52 lets the sname and file fields carry more options.
RFC 3396: an option that appears more than once is one value, concatenated.
RFC 3046: option 82, the relay agent information, is a list of sub-options.

    parse(data) -> Message        raises DhcpError (and nothing else) for any bad input
    build(message) -> bytes
    decode(code, value) / encode(code, value)   typed option values, from OPTIONS
    edit(data, hops=, giaddr=, drop=, append=)  a relay's changes, leaving the rest as is
    suboptions(data) / suboption_bytes(pairs)   option 82's sub-options

A Message keeps its options as raw (code, bytes) pairs in arrival order, so a message
that was parsed and built again comes out the same; typed access goes through the
option table below, which is data, as in scapy's layers/dhcp.py.
"""
from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass, field
from typing import Iterable

OP_REQUEST, OP_REPLY = 1, 2
MAGIC = b"\x63\x82\x53\x63"
HEADER = struct.Struct("!BBBBIHH4s4s4s4s16s64s128s")  # RFC 2131 figure 1: 236 bytes
MIN_SIZE = HEADER.size + len(MAGIC)
BOOTP_MIN = 300  # RFC 1542 section 2.1: some relays and clients drop shorter messages
BROADCAST_FLAG = 0x8000
ZERO = ipaddress.IPv4Address(0)
PAD, END = 0, 255

DISCOVER, OFFER, REQUEST, DECLINE, ACK, NAK, RELEASE, INFORM = range(1, 9)
MESSAGE_TYPES = {1: "DISCOVER", 2: "OFFER", 3: "REQUEST", 4: "DECLINE",
                 5: "ACK", 6: "NAK", 7: "RELEASE", 8: "INFORM"}


class DhcpError(ValueError):
    """A message that is not valid DHCP; str() says what was wrong, in one line."""


# --- typed option values ---------------------------------------------------------------

class Kind:
    """How one option's value is written; decode raises DhcpError on bad lengths."""
    name = "bytes"

    def decode(self, data: bytes):
        return bytes(data)

    def encode(self, value) -> bytes:
        return bytes(value)


class Address(Kind):
    name = "address"

    def decode(self, data):
        if len(data) != 4:
            raise DhcpError(f"an address needs 4 bytes, not {len(data)}")
        return address(bytes(data))

    def encode(self, value):
        return ipaddress.IPv4Address(value).packed


class Addresses(Kind):
    name = "addresses"

    def decode(self, data):
        if not data or len(data) % 4:
            raise DhcpError(f"a list of addresses needs a multiple of 4 bytes, not {len(data)}")
        return tuple(ipaddress.IPv4Address(bytes(data[i:i + 4])) for i in range(0, len(data), 4))

    def encode(self, value):
        return b"".join(ipaddress.IPv4Address(v).packed for v in value)


class Unsigned(Kind):
    def __init__(self, size: int):
        self.size = size
        self.name = f"uint{size * 8}"

    def decode(self, data):
        if len(data) != self.size:
            raise DhcpError(f"a {self.name} needs {self.size} bytes, not {len(data)}")
        return int.from_bytes(data, "big")

    def encode(self, value):
        try:
            return int(value).to_bytes(self.size, "big")
        except OverflowError:
            raise DhcpError(f"{value} does not fit a {self.name}") from None


class Text(Kind):
    name = "text"

    def decode(self, data):
        return bytes(data).rstrip(b"\0").decode("ascii", errors="replace")

    def encode(self, value):
        return str(value).encode("ascii")


class Codes(Kind):
    name = "codes"

    def decode(self, data):
        return tuple(data)

    def encode(self, value):
        return bytes(value)


@dataclass(frozen=True)
class Option:
    code: int
    name: str
    kind: Kind


OPTIONS = {option.code: option for option in (  # RFC 2132 (and 3046, 4702) as data
    Option(1, "subnet_mask", Address()),
    Option(3, "router", Addresses()),
    Option(6, "dns_servers", Addresses()),
    Option(12, "hostname", Text()),
    Option(15, "domain_name", Text()),
    Option(28, "broadcast_address", Address()),
    Option(50, "requested_ip", Address()),
    Option(51, "lease_time", Unsigned(4)),
    Option(52, "overload", Unsigned(1)),
    Option(53, "message_type", Unsigned(1)),
    Option(54, "server_id", Address()),
    Option(55, "parameter_list", Codes()),
    Option(56, "message", Text()),
    Option(57, "max_message_size", Unsigned(2)),
    Option(58, "renewal_time", Unsigned(4)),
    Option(59, "rebinding_time", Unsigned(4)),
    Option(60, "vendor_class", Kind()),
    Option(61, "client_id", Kind()),
    Option(81, "client_fqdn", Kind()),
    Option(82, "relay_agent_info", Kind()),
)}
CODES = {option.name: option.code for option in OPTIONS.values()}


def code_of(key: int | str) -> int:
    if isinstance(key, int):
        return key
    try:
        return CODES[key]
    except KeyError:
        raise DhcpError(f"unknown option name {key!r}") from None


def decode(code: int, data: bytes):
    option = OPTIONS.get(code)
    return option.kind.decode(data) if option else bytes(data)


def encode(key: int | str, value) -> tuple[int, bytes]:
    code = code_of(key)
    option = OPTIONS.get(code)
    return code, (option.kind.encode(value) if option else bytes(value))


# --- the message ---------------------------------------------------------------------

@dataclass(frozen=True)
class Message:
    op: int = OP_REQUEST
    htype: int = 1
    hlen: int = 6
    hops: int = 0
    xid: int = 0
    secs: int = 0
    flags: int = 0
    ciaddr: ipaddress.IPv4Address = ZERO
    yiaddr: ipaddress.IPv4Address = ZERO
    siaddr: ipaddress.IPv4Address = ZERO
    giaddr: ipaddress.IPv4Address = ZERO
    chaddr: bytes = b""
    sname: bytes = b""
    file: bytes = b""
    options: tuple[tuple[int, bytes], ...] = field(default=())

    def __post_init__(self):
        # code -> value, for lookups (not a field: it is the options, indexed)
        self.__dict__["index"] = merged_index(self.options)

    def option(self, key: int | str) -> bytes | None:
        return self.index.get(key if key.__class__ is int else code_of(key))

    def get(self, key: int | str, default=None):
        """The typed value of an option, or `default` if it is absent; DhcpError if bad."""
        code = key if key.__class__ is int else code_of(key)
        data = self.index.get(code)
        return default if data is None else decode(code, data)

    @property
    def message_type(self) -> int | None:
        data = self.index.get(53)
        return data[0] if data is not None and len(data) == 1 else None

    @property
    def hwaddr(self) -> bytes:
        return self.chaddr[:self.hlen]

    @property
    def broadcast(self) -> bool:
        return bool(self.flags & BROADCAST_FLAG)


def type_name(code: int | None) -> str:
    return MESSAGE_TYPES.get(code, f"type {code}") if code is not None else "no type"


# --- parse ---------------------------------------------------------------------------

def spans(data: bytes, start: int = 0, what: str = "options",
          padded: bool = True) -> tuple[list[tuple[int, int, int]], int]:
    """(code, start, stop) of each code, length, value triple from `start`, and where the
    walk ended: at END (or the end of the area). `padded`: PAD and END are options'
    (RFC 2132 3.1, 3.2); RFC 3046 sub-options have neither. DhcpError on an overrun.
    The one walker: parse, the relay's in-place edit and option 82 all use it."""
    found, pos, size = [], start, len(data)
    while pos < size:
        code = data[pos]
        if padded and code == PAD:
            pos += 1
            continue
        if padded and code == END:
            return found, pos
        if pos + 1 >= size:
            raise DhcpError(f"the {what} end in the middle of option {code}")
        stop = pos + 2 + data[pos + 1]
        if stop > size:
            raise DhcpError(f"option {code} claims {data[pos + 1]} bytes but the {what} "
                            f"hold only {size - pos - 2}")
        found.append((code, pos, stop))
        pos = stop
    return found, size


def read_options(data: bytes, what: str, start: int = 0) -> list[tuple[int, bytes]]:
    data = bytes(data)
    return [(code, data[begin + 2:stop]) for code, begin, stop in spans(data, start, what)[0]]


def merged_index(pairs) -> dict[int, bytes]:
    """RFC 3396: several instances of one option are one value, in order."""
    merged: dict[int, bytes] = {}
    for code, value in pairs:
        merged[code] = merged[code] + value if code in merged else value
    return merged


ADDRESSES: dict[bytes, ipaddress.IPv4Address] = {bytes(4): ZERO}


def address(packed: bytes) -> ipaddress.IPv4Address:
    """IPv4Address from 4 bytes, remembered: a server sees the same few giaddrs all day."""
    known = ADDRESSES.get(packed)
    if known is None:
        if len(ADDRESSES) > 4096:
            ADDRESSES.clear()
            ADDRESSES[bytes(4)] = ZERO
        known = ADDRESSES[packed] = ipaddress.IPv4Address(packed)
    return known


FIELDS = tuple(f.name for f in Message.__dataclass_fields__.values())


def parse(data: bytes) -> Message:
    if len(data) < MIN_SIZE:
        raise DhcpError(f"truncated: {len(data)} bytes, a DHCP message needs at least {MIN_SIZE}")
    (op, htype, hlen, hops, xid, secs, flags, ciaddr, yiaddr, siaddr, giaddr,
     chaddr, sname, file) = HEADER.unpack_from(data)
    if op != OP_REQUEST and op != OP_REPLY:
        raise DhcpError(f"op {op} is neither BOOTREQUEST (1) nor BOOTREPLY (2)")
    if hlen > 16:
        raise DhcpError(f"hardware address length {hlen} exceeds the 16-byte chaddr field")
    if data[HEADER.size:MIN_SIZE] != MAGIC:
        raise DhcpError(f"wrong magic cookie {bytes(data[HEADER.size:MIN_SIZE]).hex()}, "
                        f"expected {MAGIC.hex()}")
    pairs = read_options(data, "options", MIN_SIZE)
    options = dict(pairs)
    if 52 in options:
        pairs += overloaded(options[52], file, sname)
    if len(options) != len(pairs):
        options = merged_index(pairs)
    # A frozen dataclass, filled without its __init__ (15 checked setattrs): parse runs
    # for every packet, and every field was checked above.
    message = object.__new__(Message)
    fields = message.__dict__
    fields.update(zip(FIELDS, (
        op, htype, hlen, hops, xid, secs, flags, address(ciaddr), address(yiaddr),
        address(siaddr), address(giaddr), chaddr, sname, file, tuple(options.items()))))
    fields["index"] = options
    return message


def overloaded(value: bytes, file: bytes, sname: bytes) -> list[tuple[int, bytes]]:
    """RFC 2132 9.3: option 52 says the file (1), sname (2) or both (3) hold options."""
    if len(value) != 1 or value[0] not in (1, 2, 3):
        raise DhcpError(f"option 52 (overload) must be one byte 1, 2 or 3, not {value.hex()}")
    pairs = []
    if value[0] & 1:
        pairs += read_options(file, "file field")
    if value[0] & 2:
        pairs += read_options(sname, "sname field")
    return pairs


# --- build ---------------------------------------------------------------------------

def option_bytes(pairs: Iterable[tuple[int, bytes]]) -> bytes:
    """code, length, value for each option; values over 255 bytes split (RFC 3396)."""
    out = bytearray()
    for code, value in pairs:
        if code in (PAD, END) or not 0 < code < 255:
            raise DhcpError(f"option code {code} cannot carry a value")
        chunks = [value[i:i + 255] for i in range(0, len(value), 255)] or [b""]
        for chunk in chunks:
            out += bytes((code, len(chunk))) + chunk
    return bytes(out)


def header_bytes(m: Message) -> bytes:
    try:
        return HEADER.pack(m.op, m.htype, m.hlen, m.hops, m.xid, m.secs, m.flags,
                           m.ciaddr.packed, m.yiaddr.packed, m.siaddr.packed, m.giaddr.packed,
                           m.chaddr, m.sname, m.file)
    except struct.error as error:
        raise DhcpError(f"a header field is out of range: {error}") from None


def build(message: Message, encoded: bytes | None = None) -> bytes:
    """The message's bytes; `encoded`, if given, is its options already encoded (the
    server keeps its replies' options so) and stands for message.options."""
    options = option_bytes(message.options) if encoded is None else encoded
    data = header_bytes(message) + MAGIC + options + bytes((END,))
    return data.ljust(BOOTP_MIN, b"\0")


# --- RFC 3046 relay agent information ------------------------------------------------

CIRCUIT_ID, REMOTE_ID = 1, 2


def suboptions(data: bytes) -> tuple[tuple[int, bytes], ...]:
    """Option 82's sub-options: code, length, value (no padding, no end)."""
    return tuple((code, bytes(data[begin + 2:stop]))
                 for code, begin, stop in spans(data, 0, "relay agent information", padded=False)[0])


def suboption_bytes(pairs: Iterable[tuple[int, bytes]]) -> bytes:
    out = bytearray()
    for code, value in pairs:
        if len(value) > 255:
            raise DhcpError(f"sub-option {code} is longer than 255 bytes")
        out += bytes((code, len(value))) + value
    return bytes(out)


# --- editing a message in place (for the relay, which must not reorder what it forwards) --

def option_spans(data: bytes) -> tuple[list[tuple[int, int, int]], int]:
    """(code, start, end) of each option in the main options area, and where END is
    (len(data) when there is none). DhcpError if the packet is malformed."""
    if len(data) < MIN_SIZE or data[HEADER.size:MIN_SIZE] != MAGIC:
        raise DhcpError("not a DHCP message (too short or no magic cookie)")
    return spans(data, MIN_SIZE, "packet")


def edit(data: bytes, hops: int | None = None, giaddr: ipaddress.IPv4Address | None = None,
         drop: int | None = None, append: bytes = b"") -> bytes:
    """The same message with hops and giaddr set, option `drop` removed and the options
    in `append` (already encoded) added before END; padded to the BOOTP minimum."""
    spans, end = option_spans(data)
    head = bytearray(data[:MIN_SIZE])
    if hops is not None:
        head[3] = hops
    if giaddr is not None:
        head[24:28] = giaddr.packed
    body = bytearray()
    last = MIN_SIZE
    for code, start, stop in spans:
        if code == drop:
            body += data[last:start]
            last = stop
    body += data[last:end]
    out = bytes(head) + bytes(body) + append + bytes((END,))
    return out.ljust(BOOTP_MIN, b"\0")
