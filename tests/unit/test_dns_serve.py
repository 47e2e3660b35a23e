"""The server's sockets on loopback: UDP, TCP framing, slow TCP clients, and lanlab.dhcp.ddns.

Only 127.0.0.1 is used: no packet leaves the machine.
"""
import random
import socket
import struct
import threading
import time
from pathlib import Path

import dns.message
import dns.query
import dns.rcode
import dns.tsig
import pytest

from lanlab.dhcp import ddns
from lanlab.nameserver import program as serve
from lanlab.nameserver.config import parse_config

ROOT = Path(__file__).resolve().parents[2]


def same_port(config):
    """UDP and TCP on one free port number, as the server has them on 53: a random UDP
    port's number may be taken for TCP, so try again with another."""
    for _ in range(50):
        udp, tcp = serve.bind(config)
        tcp.close()
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            tcp.bind(("127.0.0.1", udp.getsockname()[1]))
        except OSError:
            tcp.close()
            udp.close()
            continue
        tcp.listen(16)
        tcp.setblocking(False)
        return udp, tcp
    raise RuntimeError("no port number free for both UDP and TCP on 127.0.0.1")


class Running:
    def __init__(self, tmp_path):
        text = (ROOT / "dns/lab.toml").read_text()
        text = text.replace("/var/lib/lanlab/dns", str(tmp_path / "records"))
        text = text.replace("/var/lib/lanlab/keys/tsig.key", str(tmp_path / "tsig.key"))
        text = text.replace('listen = "0.0.0.0"', 'listen = "127.0.0.1"').replace("port = 53", "port = 0")
        self.config = parse_config(text, env={})
        self.lines = []
        self.handler, save = serve.prepare(self.config, self.lines.append)
        udp, tcp = same_port(self.config)
        self.port = udp.getsockname()[1]
        self.server = serve.Server(self.handler, udp, tcp, save, self.lines.append)
        self.udp_thread = self.server.udp_thread()
        self.stop = False
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while not self.stop:
            self.server.step(0.05)

    def close(self):
        self.stop = True
        self.thread.join(2)
        self.server.stop_udp()
        self.udp_thread.join(2)
        assert not self.udp_thread.is_alive(), "the UDP thread must end when asked"
        self.server.udp.close()
        self.server.tcp.close()


@pytest.fixture
def running(tmp_path):
    """The server as the container runs it: UDP in its own thread, TCP in the step()
    loop, the handler shared between them under a lock."""
    server = Running(tmp_path)
    yield server
    server.close()


def query(running, name="dns.lab.internal", tcp=False):
    message = dns.message.make_query(name, "A")
    send = dns.query.tcp if tcp else dns.query.udp
    return send(message, "127.0.0.1", port=running.port, timeout=2)


def test_udp_and_tcp_answer(running):
    for tcp in (False, True):
        reply = query(running, tcp=tcp)
        assert reply.answer[0][0].address == "10.0.0.3", f"{'TCP' if tcp else 'UDP'} must answer the same"


def test_tcp_pipelined_queries_in_one_connection(running):
    queries = [dns.message.make_query(f"{name}.lab.internal", "A") for name in ("dns", "dhcp", "router-svc")]
    wire = b"".join(struct.pack("!H", len(q.to_wire())) + q.to_wire() for q in queries)
    with socket.create_connection(("127.0.0.1", running.port), timeout=2) as sock:
        sock.sendall(wire)
        answers = [read_framed(sock) for _ in queries]
    assert [a.id for a in answers] == [q.id for q in queries], "RFC 7766: several queries on one connection"


def read_framed(sock):
    size = struct.unpack("!H", recv_exact(sock, 2))[0]
    return dns.message.from_wire(recv_exact(sock, size))


def recv_exact(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        assert chunk, "the server closed the connection early"
        data += chunk
    return data


def test_tcp_client_that_never_finishes_is_closed(running, monkeypatch):
    monkeypatch.setattr(serve, "TCP_TIMEOUT", 0.3)
    with socket.create_connection(("127.0.0.1", running.port), timeout=3) as sock:
        sock.sendall(b"\x00\x40\x12\x34")  # promises 64 bytes, sends 2
        started = time.monotonic()
        assert sock.recv(10) == b"", "a client that never finishes its message is disconnected"
        assert time.monotonic() - started < 2.5, "within the TCP timeout, not at the client's leisure"
    assert any("unfinished message" in line for line in running.lines), "and the server says why"
    assert query(running).rcode() == dns.rcode.NOERROR, "and serves the next client"


def test_too_many_tcp_clients_close_the_oldest(running, monkeypatch):
    monkeypatch.setattr(serve, "TCP_CLIENTS", 4)
    idle = [socket.create_connection(("127.0.0.1", running.port), timeout=2) for _ in range(8)]
    try:
        # The server closes the 4 oldest as the 4 newest arrive: each of those reads end of file.
        closed = [sock.recv(1) == b"" for sock in idle[:4]]
        assert all(closed), f"the oldest connections must be closed for the new ones: {closed}"
        deadline = time.monotonic() + 2   # the newest is added just after the oldest is closed
        while len(running.server.clients) != 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(running.server.clients) == 4, "bounded memory: exactly TCP_CLIENTS connections are kept"
        assert query(running, tcp=True).answer, "a new client is still served"
    finally:
        for sock in idle:
            sock.close()


def test_udp_and_tcp_fuzz_then_a_real_query(running):
    rng = random.Random(11)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        for _ in range(2000):
            udp.sendto(rng.randbytes(rng.randrange(0, 600)), ("127.0.0.1", running.port))
    for _ in range(20):
        with socket.create_connection(("127.0.0.1", running.port), timeout=2) as sock:
            blob = rng.randbytes(rng.randrange(1, 3000))
            sock.sendall(blob)
    assert query(running).answer[0][0].address == "10.0.0.3", "after junk over UDP and TCP, queries are answered"
    assert query(running, tcp=True).answer, "over TCP too"


def test_ddns_add_and_remove_host(running):
    key = ddns.load_key(running.config.key)
    ddns.add_host("127.0.0.1", "bob", "192.168.7.101", 300, key, port=running.port)
    assert query(running, "bob.lab.internal").answer[0][0].address == "192.168.7.101", "add_host makes the A record"
    ptr = dns.query.udp(dns.message.make_query("101.7.168.192.in-addr.arpa", "PTR"), "127.0.0.1", port=running.port, timeout=2)
    assert ptr.answer[0][0].target.to_text() == "bob.lab.internal.", "and the PTR in the right reverse zone"
    ddns.add_host("127.0.0.1", "bob", "192.168.7.102", 300, key, port=running.port)
    old = dns.query.udp(dns.message.make_query("101.7.168.192.in-addr.arpa", "PTR"), "127.0.0.1", port=running.port, timeout=2)
    assert old.rcode() == dns.rcode.NXDOMAIN, "a new lease's add_host removes the PTR of the old address"
    ddns.remove_host("127.0.0.1", "bob", "192.168.7.102", key, port=running.port)
    assert query(running, "bob.lab.internal").rcode() == dns.rcode.NXDOMAIN, "remove_host takes the name away"


def test_ddns_failures_are_ddns_errors(running, tmp_path):
    key = ddns.load_key(running.config.key)
    wrong = dns.tsig.Key(key.name, "d3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmc=", key.algorithm)
    with pytest.raises(ddns.DdnsError, match="TSIG"):
        ddns.add_host("127.0.0.1", "bob", "192.168.7.101", 300, wrong, port=running.port)
    with pytest.raises(ddns.DdnsError, match="REFUSED"):
        ddns.add_host("127.0.0.1", "dns", "10.0.0.9", 300, key, port=running.port)
    with pytest.raises(ddns.DdnsError, match="not a host name"):
        ddns.add_host("127.0.0.1", "_._", "10.0.0.9", 300, key, port=running.port)
    with pytest.raises(ddns.DdnsError, match="cannot read"):
        ddns.load_key(str(tmp_path / "absent.key"))


def test_ddns_is_bounded_in_time_when_nobody_answers():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))  # receives, never answers
        key = dns.tsig.Key("lanlab-ddns.", "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYg==", "hmac-sha256")
        started = time.monotonic()
        with pytest.raises(ddns.DdnsError, match="did not answer"):
            ddns.add_host("127.0.0.1", "bob", "192.168.7.101", 300, key, port=silent.getsockname()[1], timeout=0.5)
        assert time.monotonic() - started < 2, "the DHCP server must never wait long on DNS"


def test_rate_log_counts_what_it_does_not_print():
    now = [0.0]
    out = []

    class Sink:
        def write(self, text):
            out.append(text)

        def flush(self):
            pass

    log = serve.RateLog("lanlab[dns]", burst=3, clock=lambda: now[0], out=Sink())
    for i in range(10):
        log(f"bad {i}")
    now[0] = 1.5
    log.tick()
    text = "".join(out)
    assert text.count("bad ") == 3, "a flood of bad input prints a few lines..."
    assert "7 more lines" in text, "...and counts the rest, so every bad message is accounted for"
