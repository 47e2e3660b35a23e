"""A made-up lab's frames, built with scapy and written as pcap files: the decoder's,
the ladder's and tshark's common input (tests/unit/test_wire_*.py, tests/lab/test_wire_tshark.py).

alice leases an address through the router's DHCP relay, asks dns for files, fetches a
file from files over TCP through the router, pings bob, and broadcasts a chat line; carol
pings the router (unrelated to alice); and a few frames no decoder could understand.
"""
from __future__ import annotations

import struct
from pathlib import Path

from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.dns import DNS, DNSQR, DNSRR
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import ARP, Ether

MACS = {
    "alice": "02:00:00:00:07:14", "bob": "02:00:00:00:07:15", "router-a": "02:00:00:00:07:01",
    "router-b": "02:00:00:00:0d:01", "router-s": "02:00:00:00:00:01", "dhcp": "02:00:00:00:00:02",
    "dns": "02:00:00:00:00:03", "files": "02:00:00:00:0d:64", "carol": "02:00:00:00:0d:12",
}
NODES = {mac: name.split("-")[0] for name, mac in MACS.items()}
ALICE, BOB, FILES, CAROL = "172.16.7.100", "172.16.7.101", "172.16.13.100", "172.16.13.18"
ROUTER_A, ROUTER_B, ROUTER_S, DHCP_IP, DNS_IP = "172.16.7.1", "172.16.13.1", "172.16.0.1", "172.16.0.2", "172.16.0.3"
BROADCAST = "ff:ff:ff:ff:ff:ff"
T0 = 1_700_000_000.0
UNDECODABLE = {b"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a",                       # shorter than Ethernet
               bytes.fromhex("020000000701" "020000000714" "0800") + b"\x45\x00\x00",  # IPv4 cut short
               bytes.fromhex("020000000701" "020000000714" "86dd") + bytes(40)}       # IPv6


def name_of(mac: str) -> str | None:
    return NODES.get(mac.lower())


def eth(src: str, dst: str):
    return Ether(src=MACS[src], dst=MACS.get(dst, dst))


def routed(packet, src: str, dst: str):
    """The same IP packet after one router: TTL one less, new MACs, header checksum again."""
    copy = IP(bytes(packet[IP]))
    copy.ttl -= 1
    del copy.chksum
    return eth(src, dst) / copy


def dhcp(kind: str, chaddr: str, giaddr: str = "0.0.0.0", yiaddr: str = "0.0.0.0", xid: int = 0x1234):
    options = [("message-type", kind.lower())]
    if kind == "OFFER":
        options += [("server_id", DHCP_IP), ("lease_time", 3600), ("subnet_mask", "255.255.255.0"),
                    ("router", ROUTER_A), ("name_server", DNS_IP)]
    return BOOTP(op=1 if kind == "DISCOVER" else 2, xid=xid, giaddr=giaddr, yiaddr=yiaddr,
                 chaddr=bytes.fromhex(MACS[chaddr].replace(":", "")) + bytes(10)) / DHCP(options=options + ["end"])


def tcp_flow() -> list[tuple[str, object]]:
    """alice:40000 -> files:9090: handshake, a request, the answer, both FINs; each on two networks."""
    a_seq, f_seq = 1000, 5000
    request, answer = b"FILES/1 GET hello.txt\n", b"FILES/1 200 ok 5\nhello"
    steps = [("alice", "S", a_seq, 0, b"", [("MSS", 1460), ("SAckOK", b""), ("WScale", 7)]),
             ("files", "SA", f_seq, a_seq + 1, b"", [("MSS", 1460)]),
             ("alice", "A", a_seq + 1, f_seq + 1, b"", []),
             ("alice", "PA", a_seq + 1, f_seq + 1, request, []),
             ("files", "PA", f_seq + 1, a_seq + 1 + len(request), answer, []),
             ("files", "FA", f_seq + 1 + len(answer), a_seq + 1 + len(request), b"", []),
             ("alice", "FA", a_seq + 1 + len(request), f_seq + 2 + len(answer), b"", []),
             ("files", "A", f_seq + 2 + len(answer), a_seq + 2 + len(request), b"", [])]
    frames = []
    for number, (who, flags, seq, ack, data, options) in enumerate(steps):
        if who == "alice":
            ip = IP(src=ALICE, dst=FILES, ttl=64, id=100 + number, flags="DF") / TCP(
                sport=40000, dport=9090, flags=flags, seq=seq, ack=ack, options=options) / data
            first = eth("alice", "router-a") / ip
            frames += [("lan-a", first), ("lan-b", routed(first, "router-b", "files"))]
        else:
            ip = IP(src=FILES, dst=ALICE, ttl=64, id=200 + number, flags="DF") / TCP(
                sport=9090, dport=40000, flags=flags, seq=seq, ack=ack, options=options) / data
            first = eth("files", "router-b") / ip
            frames += [("lan-b", first), ("lan-a", routed(first, "router-a", "alice"))]
    return frames


def scenario() -> list[tuple[str, float, bytes]]:
    """(network, time, frame bytes), in time order."""
    steps: list[tuple[str, object]] = []
    discover = Ether(src=MACS["alice"], dst=BROADCAST) / IP(src="0.0.0.0", dst="255.255.255.255") / \
        UDP(sport=68, dport=67) / dhcp("DISCOVER", "alice")
    steps += [("lan-a", discover),
              ("svc", eth("router-s", "dhcp") / IP(src=ROUTER_S, dst=DHCP_IP) / UDP(sport=67, dport=67)
               / dhcp("DISCOVER", "alice", giaddr=ROUTER_A)),
              ("svc", eth("dhcp", "router-s") / IP(src=DHCP_IP, dst=ROUTER_A) / UDP(sport=67, dport=67)
               / dhcp("OFFER", "alice", giaddr=ROUTER_A, yiaddr=ALICE)),
              ("lan-a", Ether(src=MACS["router-a"], dst=BROADCAST) / IP(src=ROUTER_A, dst="255.255.255.255")
               / UDP(sport=67, dport=68) / dhcp("OFFER", "alice", giaddr=ROUTER_A, yiaddr=ALICE))]
    steps += [("lan-a", Ether(src=MACS["alice"], dst=BROADCAST) / ARP(op=1, hwsrc=MACS["alice"], psrc=ALICE,
                                                                      pdst=ROUTER_A)),
              ("lan-a", eth("router-a", "alice") / ARP(op=2, hwsrc=MACS["router-a"], psrc=ROUTER_A,
                                                      hwdst=MACS["alice"], pdst=ALICE))]
    question = eth("alice", "router-a") / IP(src=ALICE, dst=DNS_IP, id=77) / UDP(sport=50000, dport=53) / \
        DNS(id=9, rd=1, qd=DNSQR(qname="files.lab.internal"))
    answer = eth("dns", "router-s") / IP(src=DNS_IP, dst=ALICE, id=78) / UDP(sport=53, dport=50000) / \
        DNS(id=9, qr=1, aa=1, rd=1, qd=DNSQR(qname="files.lab.internal"),
            an=DNSRR(rrname="files.lab.internal", type="A", ttl=60, rdata=FILES))
    steps += [("lan-a", question), ("svc", routed(question, "router-s", "dns")),
              ("svc", answer), ("lan-a", routed(answer, "router-a", "alice"))]
    steps += [("lan-b", Ether(src=MACS["router-b"], dst=BROADCAST) / ARP(op=1, hwsrc=MACS["router-b"],
                                                                        psrc=ROUTER_B, pdst=FILES)),
              ("lan-b", eth("files", "router-b") / ARP(op=2, hwsrc=MACS["files"], psrc=FILES,
                                                      hwdst=MACS["router-b"], pdst=ROUTER_B))]
    steps += tcp_flow()
    steps += [("lan-a", eth("alice", "bob") / IP(src=ALICE, dst=BOB, id=300) / ICMP(type=8, id=7, seq=1) / b"ping"),
              ("lan-a", eth("bob", "alice") / IP(src=BOB, dst=ALICE, id=301) / ICMP(type=0, id=7, seq=1) / b"ping"),
              ("lan-a", Ether(src=MACS["alice"], dst=BROADCAST) / IP(src=ALICE, dst="172.16.7.255", id=302)
               / UDP(sport=45000, dport=9090) / b"hello everyone"),
              ("lan-b", eth("carol", "router-b") / IP(src=CAROL, dst=ROUTER_B, id=400) / ICMP(type=8, id=9, seq=1))]
    frames = [(net, T0 + 0.001 * index, bytes(packet)) for index, (net, packet) in enumerate(steps)]
    frames += [("lan-a", T0 + 1 + 0.001 * index, data) for index, data in enumerate(sorted(UNDECODABLE))]
    return frames


def pcap_bytes(records: list[tuple[float, bytes]]) -> bytes:
    """A pcap file (microseconds, little-endian, Ethernet) of (time, frame) records."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)]
    for when, data in records:
        seconds, micro = int(when), round((when - int(when)) * 1e6)
        out.append(struct.pack("<IIII", seconds, micro, len(data), len(data)) + data)
    return b"".join(out)


def write_pcaps(folder: Path) -> dict[str, Path]:
    """One pcap per network, as the capture writes them."""
    frames = scenario()
    paths = {}
    for network in sorted({net for net, _, _ in frames}):
        paths[network] = folder / f"{network}.pcap"
        paths[network].write_bytes(pcap_bytes([(t, d) for net, t, d in frames if net == network]))
    return paths
