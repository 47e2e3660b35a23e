"""lanlab's DHCP path probe (lanlab/dhcp/probe.py): a zero-length datagram to port 67,
answered with one by the server (and by the relay once the server answers). No Docker."""
import io
import socket
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from dhcp_helpers import small_config  # noqa: E402

from lanlab.dhcp import probe  # noqa: E402
from lanlab.dhcp import program
from lanlab.dhcp.dnsq import DnsQueue  # noqa: E402
from lanlab.dhcp.leases import LeaseStore  # noqa: E402
from lanlab.dhcp.handler import Server  # noqa: E402
from lanlab.dhcp.sockets import udp_socket  # noqa: E402
from lanlab.host.ready import wait_for  # noqa: E402
from lanlab.ratelog import RateLog  # noqa: E402


def answering_socket(answer: bool):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    stop = threading.Event()

    def loop():
        while not stop.is_set():
            try:
                data, source = sock.recvfrom(512)
            except OSError:
                continue
            if answer and data == b"":
                sock.sendto(b"", source)

    threading.Thread(target=loop, daemon=True).start()
    return sock, stop


def test_probes_back_off_to_a_ceiling():
    pauses = probe.pauses(0.02, 0.1)
    assert [round(next(pauses), 2) for _ in range(6)] == [0.02, 0.04, 0.08, 0.1, 0.1, 0.1], \
        "quick at first (the lab is starting), then at most 10 a second (200 hosts probe at once)"


def test_an_answer_ends_the_wait():
    sock, stop = answering_socket(answer=True)
    try:
        began = time.monotonic()
        assert probe.wait_for_answer("127.0.0.1", 5.0, port=sock.getsockname()[1]) == "127.0.0.1"
        assert time.monotonic() - began < 1.0, "an answered probe must not wait out the timeout"
    finally:
        stop.set()


def test_no_answer_gives_up_after_the_timeout():
    sock, stop = answering_socket(answer=False)
    try:
        began = time.monotonic()
        assert probe.wait_for_answer("127.0.0.1", 0.3, port=sock.getsockname()[1]) is None, \
            "silence is not an answer: the host goes on without the path being known open"
        assert time.monotonic() - began < 1.5, "the wait is bounded: a host never hangs on the probe"
    finally:
        stop.set()


def test_a_late_probe_never_blocks_and_sees_the_first_answer():
    sock, stop = answering_socket(answer=False)
    port = sock.getsockname()[1]
    late = probe.LateProbe("127.0.0.1", port=port)
    try:
        began = time.monotonic()
        assert not any(late.answered() for _ in range(50)), "silence: not answered"
        assert time.monotonic() - began < 0.5, "each look returns at once: the host's wait loop goes on"
        stop.set()
        sock.close()
        answering, stop = answering_socket(answer=True)
        late.address = ("127.0.0.1", answering.getsockname()[1])   # the relay, now listening
        late.due = 0.0
        assert wait_for(late.answered, 2.0, 0.02), "the first answer after the path opened is seen"
    finally:
        stop.set()
        late.close()


def test_the_server_answers_a_probe_and_still_serves(tmp_path):
    """The server loop treats a zero-length datagram as the path probe, not as a bad
    DHCP message: it answers, logs nothing, and goes on."""
    sock = udp_socket(0, address="127.0.0.1")
    port = sock.getsockname()[1]
    store = LeaseStore(str(tmp_path))
    server = Server(small_config(), store.load())
    log = RateLog("test", out=io.StringIO())
    dns = DnsQueue(None, "", 60, log)
    committer = program.Committer(sock, server, store, dns, log).start()
    stop = threading.Event()
    threading.Thread(target=program.run, args=(sock, server, committer, dns, log, stop.is_set),
                     daemon=True).start()
    try:
        assert probe.wait_for_answer("127.0.0.1", 5.0, port=port) == "127.0.0.1", \
            "the relay (and hosts on the server's subnet) learn from this answer that the server listens"
        assert log.out.getvalue() == "", "a probe is not a malformed packet: no log line"
    finally:
        stop.set()
