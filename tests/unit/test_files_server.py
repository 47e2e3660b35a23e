"""The file server in-process on loopback: both forms, refusals, limits, timeouts."""
from __future__ import annotations

import hashlib
import os
import random
import select
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from polling import line_with  # noqa: E402
from lanlab.files import program as server  # noqa: E402
from lanlab.files import handler  # noqa: E402


class Log(list):
    def __call__(self, line: str) -> None:
        self.append(line)

    def wait_for(self, text: str, timeout: float = 5.0) -> str:
        line = line_with(text, lambda: list(self), timeout)
        if line is None:
            raise AssertionError(f"no log line with {text!r} in {timeout} s; log: {list(self)}")
        return line


@pytest.fixture
def root(tmp_path):
    folder = tmp_path / "srv"
    (folder / "dir").mkdir(parents=True)
    (folder / "hello.txt").write_text("hello, lab\n")
    (folder / "dir" / "inner.txt").write_text("inside\n")
    (folder / "big.bin").write_bytes(os.urandom(3 * 2**20))
    (tmp_path / "secret.txt").write_text("outside\n")
    (folder / "link-in").symlink_to("hello.txt")
    (folder / "link-out").symlink_to(tmp_path / "secret.txt")
    (folder / "dir-out").symlink_to(tmp_path)
    return folder


@pytest.fixture
def log():
    return Log()


@pytest.fixture
def files(root, log):
    srv = server.FileServer(str(root), host="127.0.0.1", port=0, max_clients=4,
                            request_timeout=1.0, idle_timeout=1.0, log=log)
    srv.bind()
    srv.start()
    yield srv
    srv.close()


def connect(srv) -> socket.socket:
    sock = socket.create_connection(srv.sock.getsockname(), timeout=5)
    return sock


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    while data := sock.recv(65536):
        chunks.append(data)
    return b"".join(chunks)


def ours(srv, name: str | bytes) -> tuple[handler.Status, bytes]:
    raw = name.encode() if isinstance(name, str) else name
    with connect(srv) as sock:
        sock.sendall(handler.MAGIC + b"GET " + raw + b"\n")
        reply = read_all(sock)
    line, _, body = reply.partition(b"\n")
    return handler.parse_status(line), body


def bare(srv, payload: bytes, shut: bool = False) -> bytes:
    with connect(srv) as sock:
        sock.sendall(payload)
        if shut:
            sock.shutdown(socket.SHUT_WR)
        return read_all(sock)


def test_our_form_sends_size_and_sha256_then_the_bytes(files, root):
    content = (root / "big.bin").read_bytes()
    status, body = ours(files, "big.bin")
    assert status.ok and status.size == len(content), f"the status must announce the true size: {status}"
    assert status.sha256 == hashlib.sha256(content).hexdigest(), "the announced sha256 must be the file's"
    assert body == content, "the bytes after the status line must be exactly the file"


@pytest.mark.parametrize("payload, shut", [
    (b"hello.txt", False),        # the course's client: the name, nothing else, then waits
    (b"hello.txt\n", False),
    (b"hello.txt\r\n", False),
    (b"hello.txt", True),         # a client that shuts its side, like nc -N
])
def test_bare_form_sends_just_the_bytes(files, root, payload, shut):
    assert bare(files, payload, shut) == (root / "hello.txt").read_bytes(), \
        f"the course's client reads until close and must get the file and nothing else ({payload!r})"


def test_bare_form_big_file(files, root):
    assert bare(files, b"big.bin") == (root / "big.bin").read_bytes(), "bare downloads stream whole files"


def test_symlink_inside_is_served(files):
    status, body = ours(files, "link-in")
    assert status.ok and body == b"hello, lab\n", "a symlink that stays in the folder is an ordinary name"


@pytest.mark.parametrize("name, code", [
    ("../secret.txt", 403),
    ("/etc/passwd", 403),
    ("link-out", 403),
    ("dir-out/secret.txt", 403),
    ("dir/../../secret.txt", 403),
    (b"hello\x00.txt", 400),
    ("x" * 256, 400),
    ("a/" * 2100, 400),
    (b"\xff.txt", 400),
    ("nope.txt", 404),
    ("dir", 404),
    ("dir/", 404),
    (".", 404),
])
def test_refusals_in_our_form_are_explicit(files, log, name, code):
    status, body = ours(files, name)
    assert status.code == code, f"{name!r} must be answered {code}, got {status}"
    assert body == b"", "a refusal carries no file bytes"
    assert log.wait_for("refused"), "every refusal leaves a log line"


@pytest.mark.parametrize("payload", [
    b"../secret.txt", b"/etc/passwd", b"link-out", b"nope.txt", b"dir", b"a\x00b",
    b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", random.Random(64).randbytes(64).replace(b"\n", b"")
])  # seeded: pytest-xdist's workers must collect the same parameters
def test_refusals_in_the_bare_form_close_with_nothing(files, log, payload):
    assert bare(files, payload) == b"", f"a bare client asking {payload!r} must get a close and no bytes"
    assert log.wait_for("bare request"), "and the server writes one line about it"


def test_half_sent_request_times_out_with_408(files, log):
    with connect(files) as sock:
        sock.sendall(b"FILES/1 GET hel")
        started = time.monotonic()
        reply = read_all(sock)
    assert reply.startswith(b"FILES/1 408 timeout"), f"an unfinished request gets a timeout status: {reply!r}"
    assert time.monotonic() - started < 3, "and no later than the request deadline (1 s here)"


def test_slow_loris_is_bounded_by_the_request_deadline(files):
    with connect(files) as sock:
        started = time.monotonic()
        sock.sendall(handler.MAGIC)
        for byte in b"GET hello.txt":
            sock.sendall(bytes([byte]))
            if select.select([sock], [], [], 0.2)[0]:
                break  # the server answered
        reply = read_all(sock)
    assert reply.startswith(b"FILES/1 408"), f"a byte every 0.2 s must not hold a thread past the deadline: {reply!r}"
    assert time.monotonic() - started < 5, "the deadline counts from the connection, not from the last byte"


def test_silent_client_is_closed(files, log):
    with connect(files) as sock:
        assert read_all(sock) == b"", "a client that sends nothing gets closed"
    log.wait_for("sent nothing")


def test_a_client_that_stops_reading_is_dropped(root, log, tmp_path):
    with open(root / "huge.bin", "wb") as f:
        f.truncate(32 * 2**20)  # sparse: costs no disk; more than loopback's socket buffers hold
    srv = server.FileServer(str(root), host="127.0.0.1", port=0, idle_timeout=0.5, log=log)
    srv.bind()
    srv.start()
    try:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(srv.sock.getsockname())
        sock.sendall(handler.build_request("huge.bin"))
        line = log.wait_for("no progress", timeout=10)
        sock.close()
    finally:
        srv.close()
    assert "huge.bin" in line, "a reader that stalls is dropped after the idle timeout, with a log line"


def test_connection_limit_answers_busy_then_recovers(files, log):
    held = [connect(files) for _ in range(files.max_clients)]
    time.sleep(0.1)
    try:
        status, _ = ours(files, "hello.txt")
        assert status.code == 503, f"past the limit a client is told the server is busy: {status}"
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.2)
    status, body = ours(files, "hello.txt")
    assert status.ok and body == b"hello, lab\n", "once clients leave, the server serves again"


def test_beyond_the_refusal_budget_connections_close_at_once(root, log):
    srv = server.FileServer(str(root), host="127.0.0.1", port=0, max_clients=1, request_timeout=2, log=log)
    srv.bind()
    srv.start()
    held = [connect(srv) for _ in range(1 + server.EXTRA_REFUSALS + 1)]
    try:
        line = log.wait_for("closed at once")
    finally:
        for sock in held:
            sock.close()
        srv.close()
    assert "refusals already running" in line, "a flood of connections costs no thread past the budget"


def test_service_keeps_serving_during_hostile_clients(files, root):
    hostile = [connect(files) for _ in range(2)]
    hostile[0].sendall(b"FILES/1 GET big")        # half-sent
    hostile[1].sendall(b"\x00\x01garbage")
    try:
        status, body = ours(files, "hello.txt")
    finally:
        for sock in hostile:
            sock.close()
    assert status.ok and body == b"hello, lab\n", "hostile clients hold their own threads, never the others'"


def test_twenty_parallel_downloads_verify(root, log):
    srv = server.FileServer(str(root), host="127.0.0.1", port=0, max_clients=32, log=log)
    srv.bind()
    srv.start()
    expected = hashlib.sha256((root / "big.bin").read_bytes()).hexdigest()
    results = []

    def one():
        status, body = ours(srv, "big.bin")
        results.append((status.sha256, hashlib.sha256(body).hexdigest()))

    threads = [threading.Thread(target=one) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    srv.close()
    assert len(results) == 20, "all twenty parallel downloads must finish"
    assert all(said == got == expected for said, got in results), "every one must carry the right bytes"


def test_checksum_is_computed_once_per_file(files, monkeypatch):
    calls = []
    real = server.sha256_of
    monkeypatch.setattr(server, "sha256_of", lambda fd: calls.append(fd) or real(fd))
    for _ in range(3):
        assert ours(files, "big.bin")[0].ok
    assert len(calls) == 1, "hashing a big file per request would stall every client; it is cached"


def test_checksum_cache_follows_changes(files, root):
    first = ours(files, "hello.txt")[0].sha256
    os.chmod(root, 0o755)
    (root / "hello.txt").write_text("changed\n")
    os.utime(root / "hello.txt", ns=(1, 10**18))
    second = ours(files, "hello.txt")[0].sha256
    assert first != second == hashlib.sha256(b"changed\n").hexdigest(), \
        "a changed file must not be announced with its old checksum"


def test_open_inside_refuses_escapes(root):
    with pytest.raises(handler.Refused) as caught:
        server.open_inside(str(root), "link-out")
    assert caught.value.status.code == 403, "a symlink out of the folder is refused, not followed"


def test_looks_bare():
    assert server.looks_bare(b"hello") and not server.looks_bare(b"FIL") and not server.looks_bare(b""), \
        "only bytes that cannot become our request line get the short bare wait"
    assert not server.looks_bare(b"FILES/1 GET x"), "our request waits for its newline"
