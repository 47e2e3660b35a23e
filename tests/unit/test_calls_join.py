"""Calls joined to frames (lanlab/wire/calls/join.py), the frames decoded by lanlab/wire from
scapy-made bytes (the helpers of tests/unit/wire_scenario.py): a handshake, a send by sequence
numbers, recv and its FIN, close, UDP datagrams, DNS during getaddrinfo; a packet routed
across two networks is one hop."""
from __future__ import annotations

import sys
from pathlib import Path

from scapy.layers.dns import DNS, DNSQR
from scapy.layers.inet import IP, TCP, UDP

sys.path.insert(0, str(Path(__file__).parent))
import wire_scenario as lab  # noqa: E402

from lanlab.wire.calls import join  # noqa: E402
from lanlab.wire.decode import Record, decode  # noqa: E402

T0 = lab.T0
ANSWER = b"x" * 2248


def tcp_packets(sport: int = 40000) -> list:
    """alice:sport -> files:9090: handshake, 9 bytes, 2248 bytes in two segments, both FINs."""
    a, f = 1000, 5000
    steps = [("alice", "S", a, b""), ("files", "SA", f, b""), ("alice", "A", a + 1, b""),
             ("alice", "PA", a + 1, b"hello.txt"), ("files", "PA", f + 1, ANSWER[:1448]),
             ("files", "PA", f + 1 + 1448, ANSWER[1448:]), ("files", "FA", f + 1 + 2248, b""),
             ("alice", "FA", a + 10, b"")]
    packets = []
    for who, flags, seq, data in steps:
        there = who == "alice"
        ip = IP(src=lab.ALICE if there else lab.FILES, dst=lab.FILES if there else lab.ALICE) / TCP(
            sport=sport if there else 9090, dport=9090 if there else sport, flags=flags, seq=seq) / data
        first = lab.eth("alice", "router-a") / ip if there else lab.eth("files", "router-b") / ip
        second = lab.routed(first, "router-b", "files") if there else lab.routed(first, "router-a", "alice")
        packets.append([("lan-a" if there else "lan-b", first), ("lan-b" if there else "lan-a", second)])
    return packets


def frames_of(steps: list[list], times: list[float] | None = None) -> list[dict]:
    """Decoded frames; step i at times[i] (default 0.01 s apart), its second frame 1 ms later."""
    times = times or [0.01 * i for i in range(len(steps))]
    records = [Record(net, T0 + times[i] + 0.001 * j, bytes(packet))
               for i, step in enumerate(steps) for j, (net, packet) in enumerate(step)]
    return [f.to_json() for f in decode(records, lab.name_of, T0)]


def call(name, t, result=0, **extra):
    base = {"kind": "call", "t": T0 + t, "t_end": T0 + t + 0.001, "node": "alice", "pid": 7,
            "thread": 7, "name": name, "syscall": name, "fd": 3, "proto": "tcp",
            "local": f"{lab.ALICE}:40000", "remote": f"{lab.FILES}:9090", "args": {},
            "result": result, "error": None, "hops": []}
    return {**base, **extra}


def hop_of(frames: list[dict], index: int) -> int:
    """The hop of the index-th packet of tcp_packets (each is two frames)."""
    return frames[2 * index]["hop"]


def test_a_connection_joined_call_by_call():
    frames = frames_of(tcp_packets())
    calls = [call("socket", 0.0, 3), call("connect", 0.0), call("send", 0.029, 9),
             call("recv", 0.039, 1024), call("recv", 0.0495, 1024), call("recv", 0.051, 200),
             call("recv", 0.061, 0), call("close", 0.069)]
    join.join(calls, frames, T0)
    hop = [hop_of(frames, i) for i in range(8)]
    assert len(set(hop)) == 8, "each packet is one hop on its two networks"
    got = [c["hops"] for c in calls]
    assert got[0] == [], "creating a socket sends nothing"
    assert got[1] == hop[0:3], "connect is the three-way handshake: SYN, SYN-ACK, ACK"
    assert got[2] == [hop[3]], "send of 9 bytes is the one segment carrying those 9 bytes"
    assert got[3] == [hop[4]] and got[4] == [hop[4], hop[5]] and got[5] == [hop[5]], \
        "each recv(1024) is joined to the segments that carried the bytes it returned"
    assert got[6] == [hop[6]], "the recv that returned 0 is the server's FIN"
    assert got[7] == [hop[7]], "close is alice's own FIN"


def test_another_connections_segments_are_not_joined():
    frames = frames_of(tcp_packets() + tcp_packets(sport=40001))
    calls = [call("connect", 0.0), call("send", 0.029, 9)]
    join.join(calls, frames, T0)
    ours = {f["hop"] for f in frames if f["layers"][2]["fields"].get("sport") in (40000,)
            or f["layers"][2]["fields"].get("dport") == 40000}
    assert set(calls[0]["hops"] + calls[1]["hops"]) <= ours and len(calls[1]["hops"]) == 1, \
        "only port 40000's segments belong to this socket"


def udp_steps(ports_and_sizes, dst=lab.ALICE, dport=9090, src=lab.BOB) -> list[list]:
    return [[("lan-a", lab.eth("bob", "alice") / IP(src=src, dst=dst) / UDP(sport=port, dport=dport) / (b"y" * size))]
            for port, size in ports_and_sizes]


def test_unbound_sendto_finds_its_datagram_by_port_and_length():
    frames = frames_of(udp_steps([(50000, 2), (50001, 2), (50001, 5)]))
    sendto = call("sendto", 0.005, 2, node="bob", proto="udp", local="0.0.0.0:50001", remote=None,
                  args={"address": f"{lab.ALICE}:9090", "bytes": 2})
    join.join([sendto], frames, T0)
    assert sendto["hops"] == [frames[1]["hop"]], "the 2-byte datagram from this socket's port, after the call"


def test_getaddrinfo_is_joined_to_the_dns_question_and_answer_while_it_ran():
    def dns(query, src, dst, sport, dport, reply=False):
        return [("lan-a", lab.eth("alice", "router-a") / IP(src=src, dst=dst) / UDP(sport=sport, dport=dport)
                 / DNS(id=3, qr=int(reply), qd=DNSQR(qname=query)))]
    steps = [dns("files.lab.internal", lab.ALICE, lab.DNS_IP, 5353, 53),
             dns("files.lab.internal", lab.DNS_IP, lab.ALICE, 53, 5353, reply=True),
             dns("bob.lab.internal", lab.ALICE, lab.DNS_IP, 5354, 53)]
    frames = frames_of(steps, [0.0, 0.01, 0.5])
    assert len({f["hop"] for f in frames}) == 3, "three packets, three hops"
    resolver = {"kind": "call", "t": T0 - 0.001, "t_end": T0 + 0.02, "node": "alice", "pid": 7, "thread": 7,
                "name": "getaddrinfo", "proto": None, "args": {}, "hops": []}
    join.join([resolver], frames, T0)
    assert resolver["hops"] == [frames[0]["hop"], frames[1]["hop"]], \
        "the question and answer while getaddrinfo ran, not a later one"


def test_call_rows_sit_in_the_ladder_at_their_time_beside_their_frames():
    from lanlab.wire import ladder
    from lanlab.wire.calls import rows  # noqa: F401 - registers the call rows
    frames = frames_of(tcp_packets())
    calls = join.place([call("connect", -0.0005, summary="client.py:5 connect(172.16.13.100:9090) = 0")],
                       frames, T0)
    view = ladder.LadderLab(members=ladder.members_of([]))
    events = [*(lab_frame for lab_frame in map(frame_from, frames)), *calls]
    text = ladder.render_text(ladder.rows_of(events, view), ["alice", "router", "files"], view)
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if "client.py:5 connect(" in line)
    assert "SYN" in lines[at + 1] and "alice" in lines[at], "the call's row comes just before the SYN it sent"
    assert f"hops {', '.join(str(h) for h in calls[0]['hops'])}" in lines[at], \
        "the row names the hops of its frames"


def frame_from(data: dict):
    from lanlab.wire.frames import frame_from_json
    return frame_from_json(data)
