"""lanlab.host.selfname: the one DNS query a host makes before it says ready. dnspython (which
no one here wrote) reads our query and writes the replies we read. No Docker needed."""
import socket
import threading

import dns.message
import dns.rcode
import dns.rrset
import pytest

from lanlab.host import selfname


def test_the_query_is_golden_and_dnspython_reads_it():
    wire = selfname.query("bob.lab.internal", 0x1234)
    assert wire == (b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                    b"\x03bob\x03lab\x08internal\x00\x00\x01\x00\x01"), "RFC 1035 4.1: header, QNAME, A, IN"
    message = dns.message.from_wire(wire)
    assert message.id == 0x1234 and str(message.question[0].name) == "bob.lab.internal."
    assert message.question[0].rdtype == 1, "a question for the A record"


def reply_to(wire: bytes, *addresses: str, rcode=dns.rcode.NOERROR) -> bytes:
    request = dns.message.from_wire(wire)
    reply = dns.message.make_response(request)
    reply.set_rcode(rcode)
    if addresses:
        reply.answer.append(dns.rrset.from_text(request.question[0].name, 300, "IN", "A", *addresses))
    return reply.to_wire()  # dnspython compresses the answer's name: a pointer to the question


def test_the_answer_is_read_through_name_compression():
    wire = selfname.query("bob.lab.internal", 7)
    assert selfname.answers(reply_to(wire, "192.168.7.100"), 7) == ["192.168.7.100"]
    assert sorted(selfname.answers(reply_to(wire, "10.0.0.5", "10.0.0.6"), 7)) == ["10.0.0.5", "10.0.0.6"]


def test_not_registered_yet_is_no_answer():
    wire = selfname.query("bob.lab.internal", 7)
    assert selfname.answers(reply_to(wire, rcode=dns.rcode.NXDOMAIN), 7) == [], \
        "NXDOMAIN before the DHCP server's update lands: the host asks again"
    assert selfname.answers(reply_to(wire), 7) == [], "no records: not resolved"


@pytest.mark.parametrize("reply", [b"", b"\x00" * 5, b"\x00\x07" + b"\x00" * 10,
                                   b"\x00\x07\x80\x00\x00\x01\x00\x01\x00\x00\x00\x00\x03bo",
                                   b"\x00\x07\x80\x00\x00\x00\x00\x01\x00\x00\x00\x00\xc0"])
def test_a_malformed_or_foreign_reply_is_refused_not_believed(reply):
    with pytest.raises(selfname.Malformed):
        selfname.answers(reply, 7)


def test_a_reply_with_another_id_is_not_ours():
    wire = selfname.query("bob.lab.internal", 7)
    with pytest.raises(selfname.Malformed, match="not a reply"):
        selfname.answers(reply_to(wire, "192.168.7.100"), 8)


def test_the_resolver_is_read_as_the_dhcp_script_writes_it():
    text = "search lab.internal\nnameserver 10.0.0.3\nnameserver 10.0.0.4\n"
    assert selfname.resolver(text) == ("10.0.0.3", "lab.internal")
    assert selfname.resolver("nameserver 127.0.0.11\n") == ("127.0.0.11", None), "no domain: no name to ask"


def fake_server(answer: list[str]):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)

    def serve():
        try:
            wire, peer = sock.recvfrom(512)
            sock.sendto(b"junk", peer)  # a stray datagram first: it must be skipped
            sock.sendto(reply_to(wire, *answer), peer)
        except OSError:
            pass
    threading.Thread(target=serve, daemon=True).start()
    return sock


def test_resolves_on_loopback(monkeypatch):
    sock = fake_server(["192.168.7.100"])
    port = sock.getsockname()[1]
    real_connect = socket.socket.connect
    monkeypatch.setattr(socket.socket, "connect", lambda self, addr: real_connect(self, (addr[0], port)))
    assert selfname.resolves("bob.lab.internal", "192.168.7.100", "127.0.0.1", wait=2)
    sock.close()
    sock = fake_server(["192.168.7.101"])
    port = sock.getsockname()[1]
    assert not selfname.resolves("bob.lab.internal", "192.168.7.100", "127.0.0.1", wait=2), \
        "another address is not ours: the host keeps asking"
    sock.close()
