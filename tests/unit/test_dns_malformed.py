"""Bad input to the DNS handler: answered (FORMERR, NOTIMP...) or dropped with one log line,
never an exception, and the next normal query is still answered."""
import random
import struct
from pathlib import Path

import dns.message
import dns.rcode
import dns.tsig
import pytest

from lanlab.nameserver.handler import Nameserver
from lanlab.nameserver.config import parse_config
from lanlab.nameserver.zones import build_zones

ROOT = Path(__file__).resolve().parents[2]
KEY = dns.tsig.Key("lanlab-ddns.", "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYg==", "hmac-sha256")


@pytest.fixture
def server():
    config = parse_config((ROOT / "dns/lab.toml").read_text(), env={})
    lines = []
    handler = Nameserver(build_zones(config), KEY, log=lines.append)
    handler.lines = lines
    return handler


def header(qid=0x1234, flags=0x0100, qd=1, an=0, ns=0, ar=0) -> bytes:
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


def question(name=b"\x03dns\x03lab\x08internal\x00", rdtype=1) -> bytes:
    return name + struct.pack("!HH", rdtype, 1)


def rcode_of(reply: bytes) -> int:
    return struct.unpack("!H", reply[2:4])[0] & 0xF


def still_answers(server) -> None:
    query = dns.message.make_query("dns.lab.internal", "A")
    reply = dns.message.from_wire(server.handle(query.to_wire()))
    assert reply.id == query.id and reply.answer and reply.answer[0][0].address == "10.0.0.3", \
        "after bad input the server must go on answering real queries"


@pytest.mark.parametrize("size", range(0, 12))
def test_truncated_header_is_dropped_with_a_log_line(server, size):
    assert server.handle(header()[:size]) is None, "shorter than a header: there is no ID to answer to"
    assert len(server.lines) == 1 and "shorter than a DNS header" in server.lines[0], "one log line per bad message"
    still_answers(server)


def test_header_promising_a_missing_question_is_formerr(server):
    reply = server.handle(header(qd=1))
    assert reply[:2] == b"\x12\x34" and rcode_of(reply) == dns.rcode.FORMERR, \
        "a message cut short after its header gets FORMERR with the query's ID"
    assert reply[2] & 0x80, "the reply has QR set"


def test_compression_pointer_loop_is_formerr(server):
    looping = header() + b"\xc0\x0c" + struct.pack("!HH", 1, 1)  # the name points at itself
    reply = server.handle(looping)
    assert rcode_of(reply) == dns.rcode.FORMERR, "a name pointing at itself must not hang or crash the parser"
    forward = header() + b"\xc0\x20" + struct.pack("!HH", 1, 1) + b"\x00" * 20
    assert rcode_of(server.handle(forward)) == dns.rcode.FORMERR, "pointers may only point backwards"
    still_answers(server)


@pytest.mark.parametrize("count", [0, 2, 65535])
def test_qdcount_other_than_one_is_formerr(server, count):
    wire = header(qd=count) + question() * min(count, 2)
    reply = server.handle(wire)
    assert reply is not None and rcode_of(reply) == dns.rcode.FORMERR, \
        f"a query must ask exactly one question (RFC 9619); {count} gets FORMERR"
    still_answers(server)


def test_oversized_message_is_formerr(server):
    wire = header() + question() + b"\x00" * 65000
    assert rcode_of(server.handle(wire)) == dns.rcode.FORMERR, "trailing junk, however long, is FORMERR"
    assert rcode_of(server.handle(wire, tcp=True)) == dns.rcode.FORMERR, "over TCP too"
    still_answers(server)


def test_name_longer_than_255_is_formerr(server):
    name = b"".join(b"\x3f" + b"a" * 63 for _ in range(5)) + b"\x00"
    assert rcode_of(server.handle(header() + question(name))) == dns.rcode.FORMERR, "RFC 1035: names fit 255 octets"


def test_meta_type_in_question_is_formerr(server):
    assert rcode_of(server.handle(header() + question(rdtype=41))) == dns.rcode.FORMERR, "nobody asks for an OPT"


def test_reserved_opcodes_are_notimp(server):
    for opcode in (1, 2, 3, 4, 6, 7, 15):
        reply = server.handle(header(flags=opcode << 11) + question())
        assert rcode_of(reply) == dns.rcode.NOTIMP, f"opcode {opcode} is not implemented: NOTIMP"


def test_ten_thousand_random_packets_then_a_real_query(server):
    rng = random.Random(4)
    for _ in range(10_000):
        size = rng.choice([rng.randrange(0, 12), rng.randrange(12, 64), rng.randrange(64, 1500)])
        reply = server.handle(rng.randbytes(size), tcp=rng.random() < 0.2)
        assert reply is None or len(reply) >= 12, "only a header-sized reply or none at all"
    assert server.lines, "bad input is logged"
    assert not any("internal error" in line for line in server.lines), \
        "random bytes are malformed input (FORMERR), never an internal failure"
    still_answers(server)


def test_ten_thousand_mutated_queries_then_a_real_query(server):
    """Random bytes rarely get past the header; mutations of real queries reach deeper."""
    rng = random.Random(7)
    seeds = [dns.message.make_query(name, rdtype, use_edns=edns).to_wire()
             for name, rdtype in [("dns.lab.internal", "A"), ("1.7.168.192.in-addr.arpa", "PTR"),
                                  ("lab.internal", "SOA"), ("x.example", "NS")]
             for edns in (False, 0)]
    for _ in range(10_000):
        wire = bytearray(rng.choice(seeds))
        for _ in range(rng.randrange(1, 4)):
            action = rng.randrange(3) if wire else 2
            position = rng.randrange(len(wire) or 1)
            if action == 0:
                wire[position] = rng.randrange(256)
            elif action == 1:
                del wire[position:]
            else:
                wire[position:position] = rng.randbytes(rng.randrange(1, 8))
        reply = server.handle(bytes(wire))
        if reply is not None:
            assert reply[:2] == bytes(wire[:2]), "every reply carries the query's ID"
            assert reply[2] & 0x80, "every reply is marked as a response"
    assert not any("internal error" in line for line in server.lines), "mutations are bad input, not server failures"
    still_answers(server)
