"""Calls joined to frames (lanlab/wire/calls/join.py): a handshake, a send by sequence
numbers, recv and its FIN, close, UDP datagrams, DNS during getaddrinfo; frames routed
across two networks count once (their hop)."""
from __future__ import annotations

from lanlab.wire.calls import join

T0 = 1000.0
ALICE, FILES, DNS = "172.24.7.100", "172.24.13.100", "172.24.0.3"


def tcp(hop, t, src, dst, flags, seq, length=0, sport=40000, dport=9090):
    """One TCP packet as it crosses lan-a and lan-b (two frames, one hop)."""
    forward = src == ALICE
    fields = {"sport": sport if forward else dport, "dport": dport if forward else sport,
              "seq": seq, "flags": flags, "len": length}
    frames = []
    for network, nodes in (("lan-a", ("alice", "router")), ("lan-b", ("router", "files"))):
        a, b = nodes if forward else nodes[::-1]
        frames.append({"kind": "frame", "t": t, "network": network, "src_node": a, "dst_node": b,
                       "src_ip": src, "dst_ip": dst, "proto": "tcp", "hop": hop,
                       "layers": [{"name": "TCP", "fields": fields}]})
    return frames if forward else frames[::-1]


FRAMES = [
    *tcp(1, 0.010, ALICE, FILES, "S", 5000),
    *tcp(2, 0.011, FILES, ALICE, "SA", 9000),
    *tcp(3, 0.012, ALICE, FILES, "A", 5001),
    *tcp(4, 0.020, ALICE, FILES, "PA", 5001, length=9),
    *tcp(5, 0.030, FILES, ALICE, "PA", 9001, length=1448),
    *tcp(6, 0.031, FILES, ALICE, "PA", 9001 + 1448, length=800),
    *tcp(7, 0.032, FILES, ALICE, "FA", 9001 + 2248),
    *tcp(8, 0.040, ALICE, FILES, "FA", 5010),
]


def call(name, t, result=0, **extra):
    base = {"kind": "call", "t": T0 + t, "t_end": T0 + t + 0.001, "node": "alice", "pid": 7,
            "thread": 7, "name": name, "syscall": name, "fd": 3, "proto": "tcp",
            "local": f"{ALICE}:40000", "remote": f"{FILES}:9090", "args": {}, "result": result,
            "error": None, "hops": []}
    return {**base, **extra}


def test_a_connection_joined_call_by_call():
    calls = [call("socket", 0.001, 3), call("connect", 0.009), call("send", 0.019, 9),
             call("recv", 0.029, 1024), call("recv", 0.0305, 1024), call("recv", 0.031, 200),
             call("recv", 0.033, 0), call("close", 0.039)]
    join.join(calls, FRAMES, T0)
    hops = {i: c["hops"] for i, c in enumerate(calls)}
    assert hops[0] == [], "creating a socket sends nothing"
    assert hops[1] == [1, 2, 3], "connect is the three-way handshake: SYN, SYN-ACK, ACK, each one hop"
    assert hops[2] == [4], "send of 9 bytes is the one segment carrying bytes 0-8"
    assert hops[3] == [5] and hops[4] == [5, 6] and hops[5] == [6], \
        "each recv(1024) is joined to the segments that carried the bytes it returned"
    assert hops[6] == [7], "the recv that returned 0 is the server's FIN"
    assert hops[7] == [8], "close is alice's FIN"


def test_a_retransmitted_or_foreign_segment_is_not_another_connections():
    other = tcp(9, 0.02, ALICE, FILES, "PA", 1, length=9, sport=40001)
    calls = [call("connect", 0.009), call("send", 0.019, 9)]
    join.join(calls, FRAMES + other, T0)
    assert calls[1]["hops"] == [4], "a segment of another connection (port 40001) is not this send's"


def udp_frame(hop, t, src, sport, dst, dport, length, src_node="bob", dst_node="router", proto="udp"):
    return {"kind": "frame", "t": t, "network": "lan-a", "src_node": src_node, "dst_node": dst_node,
            "src_ip": src, "dst_ip": dst, "proto": proto, "hop": hop,
            "layers": [{"name": "UDP", "fields": {"sport": sport, "dport": dport, "len": length}}]}


def test_unbound_sendto_finds_its_datagram_by_port_and_length():
    frames = [udp_frame(1, 0.01, "172.24.7.101", 50000, ALICE, 9090, 2),
              udp_frame(2, 0.02, "172.24.7.101", 50001, ALICE, 9090, 2)]
    calls = [call("sendto", 0.015, 2, node="bob", proto="udp", local="0.0.0.0:50001", remote=None,
                  args={"address": f"{ALICE}:9090", "bytes": 2})]
    join.join(calls, frames, T0)
    assert calls[0]["hops"] == [2], "the datagram from this socket's port, after the call"


def test_getaddrinfo_is_joined_to_the_dns_question_and_answer_while_it_ran():
    frames = [udp_frame(1, 0.01, ALICE, 5353, DNS, 53, 30, "alice", "router", "dns"),
              udp_frame(2, 0.02, DNS, 53, ALICE, 5353, 46, "router", "alice", "dns"),
              udp_frame(3, 0.50, ALICE, 5354, DNS, 53, 30, "alice", "router", "dns")]
    calls = [{"kind": "call", "t": T0 + 0.005, "t_end": T0 + 0.025, "node": "alice", "pid": 7,
              "thread": 7, "name": "getaddrinfo", "proto": None, "args": {}, "hops": []}]
    join.join(calls, frames, T0)
    assert calls[0]["hops"] == [1, 2], "the question and answer during the call, not a later one"
