"""Ethernet frames (pcap records) to the trace's frames (lanlab/wire/frames.py), with scapy.

Decodes Ethernet II (IEEE 802.3), ARP (RFC 826), IPv4 (RFC 791), ICMP (RFC 792), UDP
(RFC 768), TCP (RFC 9293), DHCP (RFC 2131, options RFC 2132, relay giaddr RFC 1542),
DNS (RFC 1035, UPDATE RFC 2136), the lab's chat (UTF-8 text in one UDP datagram to 9090)
and the file protocol's text lines (TCP 9090). Why scapy rather than tshark: docs/wire.md.

Anything this module does not understand is a frame of proto "other" with its length:
decoding never raises. Names come from the lab's inventory, by MAC address (hosts' leased
addresses are not Docker's). A routed IP packet is one `hop` on every network it crosses:
its bytes are the same but for TTL and header checksum.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable, Iterable

from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.dns import DNS
from scapy.layers.inet import ICMP, IP, TCP, UDP, IPerror
from scapy.layers.l2 import ARP, Ether
from scapy.fields import ConditionalField
from scapy.packet import NoPayload, Packet, Padding, Raw

from lanlab.wire.frames import BROADCAST, Frame

CHAT_PORT = 9090
FILES_PORT = 9090
DHCP_TYPES = {1: "DISCOVER", 2: "OFFER", 3: "REQUEST", 4: "DECLINE", 5: "ACK", 6: "NAK",
              7: "RELEASE", 8: "INFORM"}
LAYER_NAMES = {"Ether": "Ethernet", "IP": "IP", "ARP": "ARP", "UDP": "UDP", "TCP": "TCP",
               "ICMP": "ICMP", "BOOTP": "BOOTP", "DHCP": "DHCP", "DNS": "DNS", "Raw": "Data",
               "Padding": "Padding", "IPerror": "IP (quoted)", "UDPerror": "UDP (quoted)",
               "TCPerror": "TCP (quoted)", "ICMPerror": "ICMP (quoted)"}
ICMP_TYPES = {0: "echo reply", 3: "destination unreachable", 5: "redirect", 8: "echo request",
              11: "time exceeded"}
TCP_FLAGS = (("S", "SYN"), ("F", "FIN"), ("R", "RST"), ("P", "PSH"), ("A", "ACK"), ("U", "URG"))


@dataclass
class Record:
    """One captured frame: the network it was seen on, when (seconds), and its bytes."""
    network: str
    time: float
    data: bytes


@dataclass
class TcpInfo:
    flow: tuple
    flags: str
    seq: int
    ack: int
    length: int
    text: str


HOP_WINDOW = 2.0        # seconds: a router forwards in well under this; older keys are dropped


class Decoder:
    """Decodes frames in time order, keeping what joins them: the hops of IP packets seen
    on several networks, and each TCP direction's first sequence number (seq and ack are
    shown relative to it, as tshark does)."""

    def __init__(self, name_of: Callable[[str], str | None], origin: float | None = None):
        self.name_of = name_of
        self.origin = origin
        self.hops: dict[bytes, tuple[int, set, float]] = {}
        self.first_seq: dict[tuple, int] = {}
        self.number = 0

    def add(self, record: Record) -> Frame:
        if self.origin is None:
            self.origin = record.time
        frame, key, tcp = decode_one(record, self.name_of)
        frame.t = round(record.time - self.origin, 6)
        frame.hop = self.hop(key, frame.network, record.time)
        if tcp is not None:
            self.first_seq.setdefault(tcp.flow, tcp.seq)
            frame.summary = tcp_summary(tcp, self.first_seq)
        return frame

    def hop(self, key: bytes | None, network: str, when: float) -> int:
        if key is not None and key in self.hops:
            number, networks, seen = self.hops[key]
            if network not in networks and when - seen < HOP_WINDOW:
                networks.add(network)
                return number
        self.number += 1
        if key is not None:
            self.hops[key] = (self.number, {network}, when)
            if len(self.hops) > 50_000:
                self.hops = {k: v for k, v in self.hops.items() if when - v[2] < HOP_WINDOW}
        return self.number


def decode(records: Iterable[Record], name_of: Callable[[str], str | None],
           origin: float | None = None) -> list[Frame]:
    """Frames of every network in time order, times from `origin` (default: the first)."""
    decoder = Decoder(name_of, origin)
    return [decoder.add(record) for record in sorted(records, key=lambda r: r.time)]


def decode_one(record: Record, name_of) -> tuple[Frame, bytes | None, "TcpInfo | None"]:
    """One frame alone: (frame, its hop key, its TCP numbers); never raises."""
    try:
        packet = Ether(record.data)
        frame = base_frame(record, packet, name_of)
        return (frame, *fill(frame, packet, record.data))
    except Exception:                               # noqa: BLE001 - any malformed frame
        return other_frame(record, name_of), None, None


def other_frame(record: Record, name_of) -> Frame:
    data = record.data
    dst, src = (mac_text(data[0:6]), mac_text(data[6:12])) if len(data) >= 12 else ("", "")
    return Frame(0.0, record.network, name_of(src) if src else None, node_for_dst(dst, name_of),
                 src, dst, None, None, None, None, "other", f"other {len(data)} bytes", None,
                 [{"name": "Data", "fields": {"length": len(data), "hex": data[:64].hex()}}])


def base_frame(record: Record, packet: Packet, name_of) -> Frame:
    src, dst = packet.src.lower(), packet.dst.lower()
    return Frame(0.0, record.network, name_of(src), node_for_dst(dst, name_of), src, dst,
                 None, None, None, None, "other", f"other {len(record.data)} bytes", None,
                 layers_of(packet))


def node_for_dst(mac: str, name_of) -> str | None:
    if not mac:
        return None
    if mac == "ff:ff:ff:ff:ff:ff" or int(mac[:2], 16) & 1:
        return BROADCAST
    return name_of(mac)


def mac_text(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw)


def fill(frame: Frame, packet: Packet, data: bytes) -> tuple[bytes | None, "TcpInfo | None"]:
    """Set proto, summary and the IP fields; return the hop key and TCP numbers."""
    if ARP in packet:
        frame.proto, frame.summary = "arp", arp_summary(packet[ARP])
        return None, None
    if IP not in packet:
        frame.summary = f"other {len(data)} bytes (ethertype 0x{packet.type:04x})"
        return None, None
    ip = packet[IP]
    frame.src_ip, frame.dst_ip, frame.ttl, frame.ip_id = ip.src, ip.dst, ip.ttl, ip.id
    frame.proto, frame.summary = ip_summary(packet, ip)
    tcp = tcp_info(ip, packet[TCP], data) if TCP in packet and frame.proto == "tcp" else None
    return hop_key(data), tcp


CHECKSUM_AT = {1: 2, 6: 16, 17: 6}     # ICMP, TCP, UDP: the checksum's offset in its header


def hop_key(data: bytes) -> bytes:
    """The IP packet's bytes without TTL and checksums: what a router leaves alone.

    Transport checksums too: a sender's checksum offload leaves it unfilled on one
    network, and a router that computes it in software fills it on the next."""
    packet = bytearray(data[14:14 + int.from_bytes(data[16:18], "big")])
    header = (packet[0] & 0x0F) * 4
    packet[8] = 0
    packet[10:12] = b"\0\0"
    at = CHECKSUM_AT.get(packet[9])
    if at is not None and len(packet) >= header + at + 2:
        packet[header + at:header + at + 2] = b"\0\0"
    return hashlib.blake2b(bytes(packet), digest_size=16).digest()


def ip_summary(packet: Packet, ip: Packet) -> tuple[str, str]:
    """By the IP header's protocol: what rides on ICMP (a quoted packet) is not the frame's."""
    if ip.frag or ip.flags.MF:
        return "other", f"IP fragment offset {ip.frag * 8} ({len(ip)} bytes)"
    if ip.proto == 1 and ICMP in packet:
        return "icmp", icmp_summary(packet[ICMP])
    if ip.proto == 17 and (BOOTP in packet):
        return "dhcp", dhcp_summary(packet[BOOTP])
    if ip.proto in (6, 17) and DNS in packet:
        return "dns", dns_summary(packet[DNS])
    if ip.proto == 6 and TCP in packet:
        return "tcp", ""                            # written once the flow's first seq is known
    if ip.proto == 17 and UDP in packet:
        return "udp", udp_summary(packet[UDP])
    return "other", f"IP proto {ip.proto} ({len(ip)} bytes)"


def arp_summary(arp: Packet) -> str:
    if arp.op == 1:
        return f"ARP who-has {arp.pdst}? tell {arp.psrc}"
    if arp.op == 2:
        return f"ARP {arp.psrc} is-at {arp.hwsrc}"
    return f"ARP op {arp.op}"


def dhcp_summary(bootp: Packet) -> str:
    options = dhcp_options(bootp)
    kind = DHCP_TYPES.get(options.get("message-type"), "BOOTP")
    address = {"OFFER": bootp.yiaddr, "ACK": bootp.yiaddr,
               "REQUEST": options.get("requested_addr") or bootp.ciaddr,
               "RELEASE": bootp.ciaddr, "INFORM": bootp.ciaddr}.get(kind)
    text = f"DHCP {kind}"
    if address and address != "0.0.0.0":
        text += f" {address}"
    if bootp.giaddr != "0.0.0.0":
        text += f" giaddr {bootp.giaddr}"
    return text


def dhcp_options(bootp: Packet) -> dict:
    options = bootp[DHCP].options if DHCP in bootp else []
    return {item[0]: item[1] for item in options if isinstance(item, tuple) and len(item) >= 2}


def dns_summary(dns: Packet) -> str:
    questions = list(dns.qd or [])
    asked = " ".join(f"{record_type(q)}? {name(q.qname)}" for q in questions)
    if dns.opcode == 5:
        return f"DNS UPDATE {name(questions[0].qname) if questions else ''}".rstrip() + \
            (f" {rcode_text(dns)}" if dns.qr else "")
    if not dns.qr:
        return f"DNS {asked}"
    if dns.rcode:
        return f"DNS {rcode_text(dns)} {asked}"
    answers = [f"{record_type(a)} {text_of(a.rdata)}" for a in list(dns.an or []) if hasattr(a, "rdata")]
    return f"DNS {asked} -> {', '.join(answers) or 'no answer'}"


def rcode_text(dns: Packet) -> str:
    return dns.get_field("rcode").i2repr(dns, dns.rcode).upper()


def record_type(record: Packet) -> str:
    return record.get_field("type" if hasattr(record, "rdata") else "qtype").i2repr(
        record, record.type if hasattr(record, "rdata") else record.qtype)


def name(raw) -> str:
    return text_of(raw).rstrip(".") or "."


def text_of(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list):
        return " ".join(text_of(v) for v in value)
    return str(value)


def udp_summary(udp: Packet) -> str:
    payload = bytes(udp.payload)[:max(0, udp.len - 8)]
    if CHAT_PORT in (udp.sport, udp.dport) and printable(payload):
        return f'UDP {udp.sport} > {udp.dport} chat "{clip(payload.decode())}"'
    return f"UDP {udp.sport} > {udp.dport} len={len(payload)}"


def icmp_summary(icmp: Packet) -> str:
    kind = ICMP_TYPES.get(icmp.type, f"type {icmp.type}")
    if icmp.type in (0, 8):
        return f"ICMP {kind} id={icmp.id} seq={icmp.seq}"
    reason = icmp.get_field("code").i2repr(icmp, icmp.code) if icmp.type == 3 else f"code {icmp.code}"
    quoted = icmp.payload
    if isinstance(quoted, IPerror):
        ports = f"{quoted.sport} > {quoted.dport} " if hasattr(quoted.payload, "sport") else ""
        about = {17: "UDP", 6: "TCP", 1: "ICMP"}.get(quoted.proto, f"proto {quoted.proto}")
        return f"ICMP {kind} ({reason}) for {about} {quoted.src} > {quoted.dst} {ports}".rstrip()
    return f"ICMP {kind} ({reason})"


def tcp_info(ip: Packet, tcp: Packet, data: bytes) -> TcpInfo:
    """The segment's numbers; its length from the headers (a capture may keep fewer bytes)."""
    start = 14 + ip.ihl * 4 + tcp.dataofs * 4
    payload = data[start:14 + ip.len]
    text = clip(payload.decode()) if payload and printable(payload) else ""
    length = max(0, ip.len - ip.ihl * 4 - tcp.dataofs * 4)
    return TcpInfo((ip.src, tcp.sport, ip.dst, tcp.dport), str(tcp.flags), tcp.seq, tcp.ack, length, text)


def printable(payload: bytes) -> bool:
    try:
        text = payload.decode()
    except UnicodeDecodeError:
        return False
    return bool(text) and all(ch.isprintable() or ch in "\r\n\t" for ch in text)


def clip(text: str, width: int = 40) -> str:
    line = text.replace("\r", "").replace("\n", "\\n").replace("\t", " ")
    return line if len(line) <= width else line[:width - 3] + "..."


def tcp_flag_names(flags: str) -> str:
    return "-".join(word for letter, word in TCP_FLAGS if letter in flags) or "none"


def tcp_summary(tcp: TcpInfo, first: dict[tuple, int]) -> str:
    src, sport, dst, dport = tcp.flow
    seq = (tcp.seq - first[tcp.flow]) % 2**32
    text = f"TCP {sport} > {dport} {tcp_flag_names(tcp.flags)} seq={seq}"
    if "A" in tcp.flags:
        back = first.get((dst, dport, src, sport))
        text += f" ack={(tcp.ack - back) % 2**32 if back is not None else tcp.ack}"
    text += f" len={tcp.length}"
    return text + (f' "{tcp.text}"' if tcp.text else "")


# --- layers: [{"name", "fields"}] from the real bytes ------------------------------------

def layers_of(packet: Packet) -> list[dict]:
    layers = []
    layer = packet
    while layer is not None and not isinstance(layer, NoPayload):
        layers.append({"name": LAYER_NAMES.get(type(layer).__name__, type(layer).__name__),
                       "fields": fields_of(layer)})
        layer = layer.payload
    return layers


def fields_of(layer: Packet) -> dict:
    if isinstance(layer, (Raw, Padding)):
        data = bytes(layer.load) if isinstance(layer, Raw) else bytes(layer)
        text = data.decode() if printable(data) else None
        return {"length": len(data), **({"text": text} if text is not None else {"hex": data[:256].hex()})}
    if isinstance(layer, DNS):
        return dns_fields(layer)
    fields = {}
    for spec in layer.fields_desc:
        if isinstance(spec, ConditionalField) and not spec._evalcond(layer):
            continue                                # a field this message type does not have
        value = layer.getfieldval(spec.name)
        if spec.name == "options" and isinstance(layer, (DHCP, TCP, IP)):
            fields["options"] = [option_json(option) for option in value or []]
        else:
            fields[spec.name] = jsonable(value)
    return fields


def option_json(option):
    if isinstance(option, tuple):
        return [jsonable(option[0]), jsonable(option[1] if len(option) == 2 else list(option[1:]))]
    return jsonable(option)


def dns_fields(dns: Packet) -> dict:
    header = ("id", "qr", "opcode", "aa", "tc", "rd", "ra", "z", "ad", "cd", "rcode")
    fields = {name_: jsonable(dns.getfieldval(name_)) for name_ in header}
    fields["opcode"] = dns.get_field("opcode").i2repr(dns, dns.opcode)
    fields["rcode"] = rcode_text(dns)
    for section, label in (("qd", "question"), ("an", "answer"), ("ns", "authority"), ("ar", "additional")):
        fields[label] = [record_json(record) for record in list(dns.getfieldval(section) or [])]
    return fields


def record_json(record: Packet) -> dict:
    if hasattr(record, "rdata"):
        return {"name": name(record.rrname), "type": record_type(record), "ttl": record.ttl,
                "data": text_of(record.rdata)}
    if hasattr(record, "qname"):
        return {"name": name(record.qname), "type": record_type(record)}
    return {"name": type(record).__name__, "fields": jsonable(record.fields)}


def jsonable(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, bytes):
        return value.decode() if printable(value) else value.hex()
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, Packet):
        return {k: jsonable(v) for k, v in value.fields.items()}
    return str(value)
