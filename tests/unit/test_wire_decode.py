"""The decoder on frames made with scapy (tests/unit/wire_scenario.py): summaries, hops
joined across the router, TCP numbers relative as tshark shows them, layers, and bad input."""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import wire_scenario as lab  # noqa: E402

from lanlab.wire.decode import Decoder, Record, decode  # noqa: E402
from lanlab.wire.frames import PROTOS  # noqa: E402


def frames():
    return decode([Record(net, t, data) for net, t, data in lab.scenario()], lab.name_of)


def find(summary_part: str, network: str):
    return next(f for f in frames() if summary_part in f.summary and f.network == network)


def test_dns_question_and_answer_cross_the_router_as_one_hop():
    asked_a, asked_s = find("DNS A? files", "lan-a"), find("DNS A? files", "svc")
    assert asked_a.proto == asked_s.proto == "dns", "DNS on port 53 is proto dns"
    assert asked_a.hop == asked_s.hop, "the same IP packet on lan-a and svc is one hop"
    assert (asked_a.ttl, asked_s.ttl) == (64, 63), "the router takes one from the TTL"
    assert (asked_a.src_mac, asked_s.src_mac) == (lab.MACS["alice"], lab.MACS["router-s"]), \
        "the source MAC is alice's on lan-a and the router's on svc"
    assert (asked_a.src_node, asked_a.dst_node, asked_s.src_node, asked_s.dst_node) == \
        ("alice", "router", "router", "dns"), "names come from the MACs"
    answer = find("-> A", "lan-a")
    assert answer.summary == f"DNS A? files.lab.internal -> A {lab.FILES}", "the answer names the address"
    assert asked_a.ip_id == asked_s.ip_id == 77, "the IP id is kept across the hop"


def test_dhcp_through_the_relay():
    relayed = find("DHCP DISCOVER", "svc")
    assert relayed.summary == f"DHCP DISCOVER giaddr {lab.ROUTER_A}", "the relay sets giaddr (RFC 1542)"
    offer = find("DHCP OFFER", "lan-a")
    assert offer.summary.startswith(f"DHCP OFFER {lab.ALICE}"), "an OFFER shows the offered address"
    assert offer.dst_node == "*", "a broadcast reaches every node: '*'"
    discover = find("DHCP DISCOVER", "lan-a")
    assert discover.hop != relayed.hop, "the relay sends a new packet, not the client's forwarded"
    bootp = next(layer for layer in offer.layers if layer["name"] == "BOOTP")
    assert bootp["fields"]["giaddr"] == lab.ROUTER_A, "BOOTP fields keep RFC 2131 names"
    options = dict(next(layer for layer in offer.layers if layer["name"] == "DHCP")["fields"]["options"][:-1])
    assert options["message-type"] == 2 and options["router"] == lab.ROUTER_A, "DHCP options by name"


def test_tcp_numbers_relative_to_each_direction():
    summaries = [f.summary for f in frames() if f.proto == "tcp" and f.network == "lan-a"]
    assert summaries[:3] == ["TCP 40000 > 9090 SYN seq=0 len=0", "TCP 9090 > 40000 SYN-ACK seq=0 ack=1 len=0",
                             "TCP 40000 > 9090 ACK seq=1 ack=1 len=0"], "the handshake as tshark numbers it"
    assert summaries[3] == 'TCP 40000 > 9090 PSH-ACK seq=1 ack=1 len=22 "FILES/1 GET hello.txt\\n"', \
        "data shows its length and its text"
    assert any(s.startswith("TCP 40000 > 9090 FIN-ACK") for s in summaries), "the close is a FIN"
    syn = find("SYN seq=0", "lan-b")
    tcp = next(layer for layer in syn.layers if layer["name"] == "TCP")
    assert ["MSS", 1460] in tcp["fields"]["options"], "TCP options are in the TCP layer"
    assert syn.ttl == 63 and syn.src_node == "router", "the SYN on lan-b comes from the router"


def test_arp_icmp_chat():
    who = find("ARP who-has", "lan-b")
    assert who.summary == f"ARP who-has {lab.FILES}? tell {lab.ROUTER_B}" and who.proto == "arp", "ARP who-has"
    assert find("is-at", "lan-b").summary == f"ARP {lab.FILES} is-at {lab.MACS['files']}", "ARP is-at"
    ping = find("echo request id=7", "lan-a")
    assert (ping.src_node, ping.dst_node, ping.proto) == ("alice", "bob", "icmp"), "a ping inside one subnet"
    chat = find("chat", "lan-a")
    assert chat.summary == 'UDP 45000 > 9090 chat "hello everyone"' and chat.dst_node == "*", "chat text shown"


def test_undecodable_frames_are_other_with_their_length():
    others = [f for f in frames() if f.proto == "other"]
    assert sorted(f.summary.split(" (")[0] for f in others) == \
        sorted(f"other {len(d)} bytes" for d in lab.UNDECODABLE), "each is 'other' with its length"


def test_any_bytes_decode_without_raising():
    generator = random.Random(12)
    decoder = Decoder(lab.name_of)
    inputs = [data[:cut] for _, _, data in lab.scenario() for cut in range(0, len(data), 7)]
    inputs += [bytes(generator.randrange(256) for _ in range(generator.randrange(80))) for _ in range(300)]
    for index, data in enumerate(inputs):
        frame = decoder.add(Record("lan-a", float(index), data))
        assert frame.proto in PROTOS, f"proto is one of the contract's values for {data.hex()}"
        json.dumps(frame.to_json())


def test_layers_name_each_level():
    answer = find("-> A", "svc")
    assert [layer["name"] for layer in answer.layers] == ["Ethernet", "IP", "UDP", "DNS"], "layers in order"
    dns = answer.layers[-1]["fields"]
    assert dns["question"] == [{"name": "files.lab.internal", "type": "A"}], "the DNS question section"
    assert dns["answer"] == [{"name": "files.lab.internal", "type": "A", "ttl": 60, "data": lab.FILES}], \
        "the DNS answer section"


def test_times_from_the_first_frame_and_unknown_macs():
    decoded = frames()
    assert decoded[0].t == 0.0 and decoded[1].t == 0.001, "t counts from the first frame"
    assert decoded[-3].src_node is None, "a MAC the lab does not know has no name"


def test_icmp_error_quoting_dhcp_is_icmp():
    from scapy.layers.inet import ICMP, IP, UDP
    from scapy.layers.l2 import Ether
    quoted = IP(src=lab.ROUTER_A, dst=lab.ALICE) / UDP(sport=67, dport=68) / lab.dhcp("OFFER", "alice")
    error = Ether(src=lab.MACS["alice"], dst=lab.MACS["router-a"]) / IP(src=lab.ALICE, dst=lab.ROUTER_A) / \
        ICMP(type=3, code=3) / quoted
    frame = decode([Record("lan-a", 1.0, bytes(error))], lab.name_of)[0]
    assert frame.proto == "icmp", "an ICMP error is ICMP, whatever packet it quotes"
    assert frame.summary == (f"ICMP destination unreachable (port-unreachable) for UDP {lab.ROUTER_A} > "
                             f"{lab.ALICE} 67 > 68"), "it says which packet was refused"
