"""Joining call events to the frames they caused or that ended them (RFC 793/9293 for TCP's
sequence numbers, RFC 768 for UDP, RFC 1035 for DNS).

Each call gets in "hops" the `hop` of every frame joined to it (a packet routed across
subnets is one hop on several networks). Frames are looked for on the calling node's own
networks (where it is the frame's source or destination):

    connect, accept        the three-way handshake of its connection: SYN, SYN-ACK, ACK
    send, sendall, write,  the data segments carrying its bytes: the connection's bytes are
    sendfile               counted call by call, and a segment's place in the stream is its
                           sequence number less the initial one (the SYN's) less one
    recv, read             the segments carrying the bytes it returned; a recv that returned
                           0 bytes: the peer's FIN
    close, shutdown        the FIN (or RST) this side sent at or after the call
    sendto                 the datagram from its port, of its length, first after the call
    recvfrom (UDP)         the datagram to its port, last before it returned
    getaddrinfo            the DNS questions and answers of the node while it ran

Times: a call's `t` is the wall clock (strace -ttt); a frame's `t` counts from the first
frame, whose wall-clock time is `t0`. The containers share the host's clock.
"""
from __future__ import annotations

from dataclasses import dataclass

SEQ_SPACE = 1 << 32
SLACK = 0.05          # seconds: strace's stamp and the capture's may differ by this much
CONNECTING = {"connect", "connect_ex", "accept", "accept4", "create_connection"}
SENDING = {"send", "sendall", "write", "writev", "sendmsg", "sendfile", "sendto"}
RECEIVING = {"recv", "recv_into", "read", "readv", "recvmsg", "recvfrom", "recvfrom_into"}
CLOSING = {"close", "shutdown"}


@dataclass(frozen=True)
class Packet:
    """What joining needs of a frame (docs/wire.md)."""
    index: int
    t: float
    hop: object
    proto: str
    src: tuple[str, int] | None
    dst: tuple[str, int] | None
    flags: str = ""
    seq: int = 0
    length: int = 0
    src_node: str | None = None
    dst_node: str | None = None


def layer_fields(frame: dict, name: str) -> dict:
    for layer in frame.get("layers") or []:
        if layer.get("name") == name:
            return layer.get("fields") or {}
    return {}


def payload_length(frame: dict) -> int:
    """TCP: the IP total length less both headers; UDP: its length less its header."""
    ip, tcp, udp = layer_fields(frame, "IP"), layer_fields(frame, "TCP"), layer_fields(frame, "UDP")
    if tcp:
        return max(0, int(ip.get("len") or 0) - 4 * int(ip.get("ihl") or 5) - 4 * int(tcp.get("dataofs") or 5))
    return max(0, int(udp.get("len") or 8) - 8)


def packet_of(index: int, frame: dict, t0: float) -> Packet | None:
    tcp, udp = layer_fields(frame, "TCP"), layer_fields(frame, "UDP")
    transport = tcp or udp
    if not transport or not frame.get("src_ip"):
        return None
    return Packet(
        index, t0 + frame["t"], frame.get("hop"), "tcp" if tcp else "udp",
        (frame["src_ip"], int(transport.get("sport") or 0)),
        (frame["dst_ip"], int(transport.get("dport") or 0)),
        flags=str(tcp.get("flags") or ""), seq=int(tcp.get("seq") or 0),
        length=payload_length(frame), src_node=frame.get("src_node"), dst_node=frame.get("dst_node"))


def endpoint(text: str | None) -> tuple[str, int] | None:
    if not text:
        return None
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


class Stream:
    """One TCP connection seen from one side: its packets each way, in capture order."""

    def __init__(self, local: tuple[str, int], remote: tuple[str, int], packets: list[Packet]):
        self.out = [p for p in packets if p.src == local and p.dst == remote]
        self.back = [p for p in packets if p.src == remote and p.dst == local]
        self.isn_out = next((p.seq for p in self.out if "S" in p.flags), None)
        self.isn_back = next((p.seq for p in self.back if "S" in p.flags), None)

    def handshake(self) -> list[Packet]:
        syn = [p for p in self.out + self.back if "S" in p.flags]
        if len(syn) < 2:
            return syn
        last = max(syn, key=lambda p: p.t)
        opener = min(syn, key=lambda p: p.t)
        side = self.out if opener in self.out else self.back
        ack = next((p for p in side if p.t >= last.t and "A" in p.flags and "S" not in p.flags
                    and p.length == 0), None)
        return sorted(syn, key=lambda p: p.t) + ([ack] if ack else [])

    @staticmethod
    def carrying(packets: list[Packet], isn: int | None, start: int, end: int) -> list[Packet]:
        if isn is None or end <= start:
            return []
        found = []
        for p in packets:
            offset = (p.seq - isn - 1) % SEQ_SPACE
            if p.length and offset < end and offset + p.length > start:
                found.append(p)
        return found

    def fin(self, packets: list[Packet], after: float) -> list[Packet]:
        ending = [p for p in packets if ("F" in p.flags or "R" in p.flags) and p.t >= after - SLACK]
        return ending[:1]


def on_node(packet: Packet, node: str) -> bool:
    return node in (packet.src_node, packet.dst_node)


def join_tcp(calls: list[dict], packets: list[Packet]) -> None:
    """Hops for every call on one TCP socket (calls in time order)."""
    first = calls[0]
    local, remote = endpoint(first.get("local")), endpoint(first.get("remote"))
    if not local or not remote:
        return
    mine = [p for p in packets if p.proto == "tcp" and on_node(p, first["node"])
            and {p.src, p.dst} == {local, remote}]
    stream = Stream(local, remote, mine)
    sent = received = 0
    for call in calls:
        result = call.get("result") if isinstance(call.get("result"), int) else 0
        name = call["name"]
        if name in CONNECTING:
            found = stream.handshake()
        elif call.get("syscall") == "sendfile" or name in SENDING:
            found = stream.carrying(stream.out, stream.isn_out, sent, sent + max(result, 0))
            sent += max(result, 0)
        elif name in RECEIVING:
            if result == 0 and not call.get("error"):
                found = stream.fin(stream.back, float("-inf"))
            else:
                found = stream.carrying(stream.back, stream.isn_back, received, received + max(result, 0))
            received += max(result, 0)
        elif name in CLOSING:
            found = stream.fin(stream.out, call["t"])
        else:
            found = []
        call["hops"] = unique_hops(found)


def join_udp(call: dict, packets: list[Packet]) -> None:
    local = endpoint(call.get("local"))
    port = local[1] if local else None
    node = call["node"]
    size = call.get("result") if isinstance(call.get("result"), int) else None
    if call["name"] in SENDING:
        target = endpoint(call["args"].get("address") or call.get("remote"))
        found = [p for p in packets if p.proto == "udp" and p.src_node == node
                 and p.t >= call["t"] - SLACK and (target is None or p.dst == target)
                 and (port is None or p.src[1] == port) and (size is None or p.length == size)]
        call["hops"] = unique_hops(found[:1])
    elif call["name"] in RECEIVING:
        end = call.get("t_end") or call["t"]
        found = [p for p in packets if p.proto == "udp" and p.dst_node in (node, "*")
                 and p.dst[1] == port and p.t <= end + SLACK and (size is None or p.length == size)]
        call["hops"] = unique_hops(found[-1:])


def join_resolver(call: dict, frames: list[dict], t0: float) -> None:
    end = (call.get("t_end") or call["t"]) + SLACK
    node = call["node"]
    call["hops"] = unique_hops([
        frame for frame in frames if frame.get("proto") == "dns"
        and node in (frame.get("src_node"), frame.get("dst_node"))
        and call["t"] - SLACK <= t0 + frame["t"] <= end])


def unique_hops(found) -> list:
    hops = []
    for each in found:
        hop = each.hop if isinstance(each, Packet) else each.get("hop")
        if hop is not None and hop not in hops:
            hops.append(hop)
    return hops


def join(calls: list[dict], frames: list[dict], t0: float) -> list[dict]:
    """Fill each call's "hops" from the frames; returns the calls."""
    packets = [p for i, f in enumerate(frames) if (p := packet_of(i, f, t0)) is not None]
    sockets: dict[tuple, list[dict]] = {}
    for call in sorted(calls, key=lambda c: c["t"]):
        if call["name"] == "getaddrinfo":
            join_resolver(call, frames, t0)
        elif call.get("proto") == "udp":
            join_udp(call, packets)
        elif call.get("proto") == "tcp":
            sockets.setdefault((call["node"], call["pid"], call["fd"], call.get("local"),
                                call.get("remote")), []).append(call)
    for group in sockets.values():
        join_tcp(group, packets)
    return calls


def place(calls: list[dict], frames: list, zero: float) -> list[dict]:
    """The calls joined to the trace's frames (Frame objects or their JSON), their times
    then counted, like the frames', from the first frame (wall-clock time `zero`)."""
    join(calls, [f if isinstance(f, dict) else f.to_json() for f in frames], zero)
    for call in calls:
        call["t"] = round(call["t"] - zero, 6)
        if call.get("t_end") is not None:
            call["t_end"] = round(call["t_end"] - zero, 6)
    return calls
