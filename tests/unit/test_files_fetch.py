"""`fetch` against the server on loopback, and against fake servers that lie or break."""
from __future__ import annotations

import hashlib
import io
import os
import socket
import threading

import pytest

from lanlab.files import fetch
from lanlab.files import program as server
from lanlab.files import handler


@pytest.fixture
def root(tmp_path):
    folder = tmp_path / "srv"
    folder.mkdir()
    (folder / "hello.txt").write_text("hello, lab\n")
    (folder / "big.bin").write_bytes(os.urandom(2 * 2**20 + 7))
    return folder


@pytest.fixture
def port(root):
    srv = server.FileServer(str(root), host="127.0.0.1", port=0, log=lambda line: None)
    _, port = srv.bind()
    srv.start()
    yield port
    srv.close()


@pytest.fixture
def out(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def run(port: int, source: str, *extra: str) -> int:
    return fetch.main(["-p", str(port), f"127.0.0.1:{source}", *extra])


def fake_server(reply: bytes) -> int:
    """A one-shot server that reads the request, sends `reply` and closes."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve():
        conn, _ = listener.accept()
        conn.recv(4096)
        conn.sendall(reply)
        conn.close()
        listener.close()

    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1]


def test_downloads_and_verifies(port, root, out, capsys):
    target = out / "copy.bin"
    assert run(port, "big.bin", "-o", str(target)) == 0, "a good download exits 0"
    assert target.read_bytes() == (root / "big.bin").read_bytes(), "the file written is the server's file"
    err = capsys.readouterr().err
    assert "sha256 ok" in err and err.count("\n") == 1, f"one summary line on success: {err!r}"


def test_default_output_is_the_name_here(port, out, monkeypatch):
    monkeypatch.chdir(out)
    assert run(port, "hello.txt") == 0
    assert (out / "hello.txt").read_text() == "hello, lab\n", "without -o the file lands under its own name"


def test_output_into_a_folder(port, out):
    assert run(port, "hello.txt", "-o", str(out)) == 0
    assert (out / "hello.txt").exists(), "-o FOLDER puts the file in that folder"


def test_output_to_a_device_is_written_directly(port):
    assert run(port, "big.bin", "-o", os.devnull) == 0, \
        "-o /dev/null checks the download without keeping it (no temporary file beside a device)"


def test_written_file_mode_follows_umask(port, out):
    old = os.umask(0o022)
    try:
        run(port, "hello.txt", "-o", str(out / "h.txt"))
    finally:
        os.umask(old)
    assert (out / "h.txt").stat().st_mode & 0o777 == 0o644, "the result is an ordinary file, not a 0600 temp file"


@pytest.mark.parametrize("source, words", [
    ("nope.txt", "not found"),
    ("../etc/passwd", "refused"),
    ("/etc/passwd", "refused"),
])
def test_server_errors_are_one_line_and_leave_nothing(port, out, capsys, source, words):
    target = out / "result"
    assert run(port, source, "-o", str(target)) == 1, f"{source}: a failed fetch exits non-zero"
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1, f"{source}: one clear line saying {words!r}: {err!r}"
    assert list(out.iterdir()) == [], "a failed fetch leaves no file, not even a temporary one"


def test_unreachable_host(out, capsys):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    assert run(port, "x", "-o", str(out / "x")) == 1, "nothing listening: non-zero exit"
    assert "cannot reach" in capsys.readouterr().err, "the line says the host could not be reached"


def test_unresolvable_host(monkeypatch, capsys, out):
    def fail(*args, **kwargs):  # no real lookup: a unit test sends nothing off this machine
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    assert fetch.main(["nosuch:x", "-o", str(out / "x")]) == 1
    assert "cannot resolve nosuch" in capsys.readouterr().err, "the line names the host that did not resolve"


def test_checksum_mismatch_leaves_no_file(out, capsys):
    body = b"these are not the bytes you are looking for"
    wrong = hashlib.sha256(b"other").hexdigest()
    port = fake_server(handler.build_status(handler.ok(len(body), wrong)) + body)
    assert run(port, "x", "-o", str(out / "x")) == 1, "a checksum mismatch is a failure"
    assert "checksum mismatch" in capsys.readouterr().err
    assert list(out.iterdir()) == [], "bad bytes are never renamed into place"


def test_short_transfer_leaves_no_file(out, capsys):
    digest = hashlib.sha256(b"x" * 100).hexdigest()
    port = fake_server(handler.build_status(handler.ok(100, digest)) + b"x" * 40)
    assert run(port, "x", "-o", str(out / "x")) == 1
    assert "after 40 of 100 bytes" in capsys.readouterr().err, "the line says how far it got"
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("reply, words", [
    (b"", "without an answer"),
    (b"HTTP/1.0 200 OK\r\n\r\nhello", "answered something else"),
    (b"x" * 5000, "no status line"),
])
def test_not_our_server(out, capsys, reply, words):
    port = fake_server(reply)
    assert run(port, "x", "-o", str(out / "x")) == 1
    assert words in capsys.readouterr().err


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as caught:
        fetch.main(["hello.txt"])
    assert caught.value.code == 2, "HOST:NAME without a colon is a usage mistake"
    assert "HOST:NAME" in capsys.readouterr().err


class Terminal(io.StringIO):
    def __init__(self, tty: bool):
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_progress_bar_only_on_a_terminal():
    for tty in (True, False):
        stream = Terminal(tty)
        bar = fetch.Progress("big.bin", 100, stream)
        bar.update(100)
        bar.finish()
        shown = stream.getvalue()
        assert ("100%" in shown) == tty, f"a bar on a terminal, nothing in a pipe or log (tty={tty}): {shown!r}"
