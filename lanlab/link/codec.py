"""nfnetlink_queue messages on the wire, with no I/O: what the delay program says to the
kernel over an AF_NETLINK socket of protocol NETLINK_NETFILTER.

Formats (Linux uapi headers, the kernel's own documentation of this protocol):
- linux/netlink.h: struct nlmsghdr {u32 len; u16 type; u16 flags; u32 seq; u32 pid},
  in the host's byte order, each message padded to 4 bytes; NLMSG_ERROR (2) carries an
  s32 error (0 is an acknowledgement) and the header of the request it answers.
- linux/netfilter/nfnetlink.h: after the header, struct nfgenmsg {u8 family;
  u8 version (0); be16 res_id} (res_id is the queue number), then attributes
  struct nlattr {u16 len; u16 type} padded to 4; the message type is
  (subsystem << 8) | message, subsystem NFNL_SUBSYS_QUEUE (3).
- linux/netfilter/nfnetlink_queue.h: NFQNL_MSG_PACKET (0, kernel -> us),
  NFQNL_MSG_VERDICT (1), NFQNL_MSG_CONFIG (2), NFQNL_MSG_VERDICT_BATCH (3: every packet
  whose id is at most the given one). Attribute payloads are big-endian.

    config_bind(queue, seq)                bind this socket to a queue
    config_params(queue, seq, mode, range) copy mode (metadata only is enough here)
    config_flags / config_maxlen           fail-open, queue length
    verdict(queue, packet_id, verdict, seq, batch=False)
    parse(data) -> list[Message]           several messages per datagram; NetlinkError on
                                           anything malformed, and nothing else
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

NETLINK_NETFILTER = 12
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_ACK = 0x1, 0x4
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG, NFQNL_MSG_VERDICT_BATCH = range(4)
NFQNL_CFG_CMD_BIND, NFQNL_CFG_CMD_UNBIND = 1, 2
NFQNL_COPY_NONE, NFQNL_COPY_META, NFQNL_COPY_PACKET = range(3)
NFQA_CFG_CMD, NFQA_CFG_PARAMS, NFQA_CFG_QUEUE_MAXLEN, NFQA_CFG_MASK, NFQA_CFG_FLAGS = range(1, 6)
NFQA_CFG_F_FAIL_OPEN = 0x1
NFQA_PACKET_HDR, NFQA_VERDICT_HDR = 1, 2
NFQA_IFINDEX_OUTDEV, NFQA_PAYLOAD = 6, 10
NF_DROP, NF_ACCEPT = 0, 1
AF_INET, AF_UNSPEC = 2, 0

NLMSGHDR = struct.Struct("=IHHII")   # host byte order
NFGENMSG = struct.Struct("!BBH")     # res_id is big-endian
NLATTR = struct.Struct("=HH")
PACKET_HDR = struct.Struct("!IHB")   # packet_id, hw_protocol, hook (packed: 7 bytes)
VERDICT_HDR = struct.Struct("!II")   # verdict, id
CFG_CMD = struct.Struct("!BxH")      # command, pad, pf
CFG_PARAMS = struct.Struct("!IB")    # copy_range, copy_mode (packed: 5 bytes)
BIG_U32 = struct.Struct("!I")
ERROR = struct.Struct("=i")


class NetlinkError(ValueError):
    """A netlink message that cannot be read; str() says what was wrong, in one line."""


@dataclass(frozen=True)
class Message:
    type: int
    flags: int
    seq: int
    pid: int
    queue: int = 0                         # nfgenmsg res_id, for netfilter messages
    attributes: dict[int, bytes] = field(default_factory=dict)
    error: int | None = None               # for NLMSG_ERROR: 0 is an acknowledgement

    @property
    def packet_id(self) -> int:
        header = self.attributes.get(NFQA_PACKET_HDR)
        if header is None or len(header) < PACKET_HDR.size:
            raise NetlinkError("a queued packet without its packet header")
        return PACKET_HDR.unpack_from(header)[0]


def align(length: int) -> int:
    return (length + 3) & ~3


def attribute(kind: int, value: bytes) -> bytes:
    length = NLATTR.size + len(value)
    return NLATTR.pack(length, kind) + value + b"\0" * (align(length) - length)


def message(kind: int, queue: int, seq: int, attributes: bytes, flags: int = NLM_F_REQUEST,
            family: int = AF_UNSPEC) -> bytes:
    """One nfnetlink_queue message: nlmsghdr, nfgenmsg, attributes (pid 0: the kernel)."""
    body = NFGENMSG.pack(family, 0, queue) + attributes
    return NLMSGHDR.pack(NLMSGHDR.size + len(body), (NFNL_SUBSYS_QUEUE << 8) | kind,
                         flags, seq, 0) + body


def config_bind(queue: int, seq: int) -> bytes:
    command = attribute(NFQA_CFG_CMD, CFG_CMD.pack(NFQNL_CFG_CMD_BIND, AF_INET))
    return message(NFQNL_MSG_CONFIG, queue, seq, command, NLM_F_REQUEST | NLM_F_ACK)


def config_params(queue: int, seq: int, mode: int = NFQNL_COPY_META, copy_range: int = 0) -> bytes:
    params = attribute(NFQA_CFG_PARAMS, CFG_PARAMS.pack(copy_range, mode))
    return message(NFQNL_MSG_CONFIG, queue, seq, params, NLM_F_REQUEST | NLM_F_ACK)


def config_flags(queue: int, seq: int, flags: int = NFQA_CFG_F_FAIL_OPEN) -> bytes:
    """Fail open: when the queue is full the kernel accepts instead of dropping."""
    body = attribute(NFQA_CFG_FLAGS, BIG_U32.pack(flags)) + attribute(NFQA_CFG_MASK, BIG_U32.pack(flags))
    return message(NFQNL_MSG_CONFIG, queue, seq, body, NLM_F_REQUEST | NLM_F_ACK)


def config_maxlen(queue: int, seq: int, length: int) -> bytes:
    body = attribute(NFQA_CFG_QUEUE_MAXLEN, BIG_U32.pack(length))
    return message(NFQNL_MSG_CONFIG, queue, seq, body, NLM_F_REQUEST | NLM_F_ACK)


def verdict(queue: int, packet_id: int, decision: int, seq: int, batch: bool = False) -> bytes:
    """A verdict on one packet, or with batch on every packet up to packet_id."""
    body = attribute(NFQA_VERDICT_HDR, VERDICT_HDR.pack(decision, packet_id))
    return message(NFQNL_MSG_VERDICT_BATCH if batch else NFQNL_MSG_VERDICT, queue, seq, body)


def parse_attributes(data: bytes) -> dict[int, bytes]:
    attributes, offset = {}, 0
    while offset + NLATTR.size <= len(data):
        length, kind = NLATTR.unpack_from(data, offset)
        if length < NLATTR.size or offset + length > len(data):
            raise NetlinkError(f"an attribute of length {length} at byte {offset} of {len(data)}")
        attributes[kind & 0x3FFF] = bytes(data[offset + NLATTR.size:offset + length])
        offset += align(length)
    return attributes


def parse_one(data: bytes) -> Message:
    """One message, exactly its own bytes (header included)."""
    length, kind, flags, seq, pid = NLMSGHDR.unpack_from(data)
    body = data[NLMSGHDR.size:length]
    if kind == NLMSG_ERROR:
        if len(body) < ERROR.size:
            raise NetlinkError("an error message shorter than its error code")
        return Message(kind, flags, seq, pid, error=ERROR.unpack_from(body)[0])
    if kind >> 8 != NFNL_SUBSYS_QUEUE:
        return Message(kind, flags, seq, pid)
    if len(body) < NFGENMSG.size:
        raise NetlinkError("a netfilter message shorter than its nfgenmsg header")
    queue = NFGENMSG.unpack_from(body)[2]
    return Message(kind & 0xFF, flags, seq, pid, queue, parse_attributes(body[NFGENMSG.size:]))


def parse(data: bytes) -> list[Message]:
    """Every message of one datagram from the kernel."""
    messages, offset = [], 0
    while offset < len(data):
        if len(data) - offset < NLMSGHDR.size:
            raise NetlinkError(f"{len(data) - offset} bytes left, fewer than a message header")
        length = NLMSGHDR.unpack_from(data, offset)[0]
        if length < NLMSGHDR.size or offset + length > len(data):
            raise NetlinkError(f"a message of length {length} at byte {offset} of {len(data)}")
        messages.append(parse_one(data[offset:offset + length]))
        offset += align(length)
    return messages

