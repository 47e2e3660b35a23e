"""The chat listener and `chat` in-process on loopback, with names looked up by fakes."""
from __future__ import annotations

import io
import queue
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from polling import line_with  # noqa: E402
from lanlab.chat import cli  # noqa: E402
from lanlab.chat import program as listener  # noqa: E402
from lanlab.chat.names import Names  # noqa: E402


def free_port() -> int:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


class Lines(io.StringIO):
    """A stream several threads write to; wait_for polls it."""

    def __init__(self):
        super().__init__()
        self.lock = threading.Lock()

    def write(self, text):
        with self.lock:
            return super().write(text)

    def wait_for(self, text: str, timeout: float = 5.0) -> str:
        line = line_with(text, lambda: self.getvalue().splitlines(), timeout)
        if line is None:
            raise AssertionError(f"no line with {text!r} within {timeout} s in {self.getvalue()!r}")
        return line


@pytest.fixture
def port(monkeypatch):
    port = free_port()
    monkeypatch.setattr(cli, "PORT", port)
    return port


@pytest.fixture
def pause_file(tmp_path, monkeypatch):
    path = tmp_path / "chat.pause"
    monkeypatch.setattr(listener, "PAUSE", path)
    return path


@pytest.fixture
def heard(tmp_path, port, pause_file):
    out = Lines()
    names = Names(lookup=lambda address: "loopy.lab.internal", wait=1.0)
    ear = listener.Listener("0.0.0.0", port, names=names, out=out,
                            log=listener.LogFile(tmp_path / "chat.log"), pause=pause_file)
    ear.bind()
    ear.start()
    ear.out_lines = out
    yield ear
    ear.stop()
    if ear.sock:
        ear.sock.close()


def send(port: int, data: bytes, source_port: int = 0) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", source_port))
        sock.sendto(data, ("127.0.0.1", port))
        return sock.getsockname()[1]


def test_listener_prints_name_address_port_and_text(heard, port, tmp_path):
    source = send(port, "hello, grüße".encode())
    line = heard.out_lines.wait_for("hello")
    assert line == f"chat: loopy.lab.internal (127.0.0.1 port {source}): hello, grüße", \
        "the container log shows the sender's name, address and port, then the text"
    logged = (tmp_path / "chat.log").read_text()
    assert f"loopy.lab.internal (127.0.0.1 port {source}): hello, grüße" in logged, \
        "the same line goes to the log file"


def test_listener_survives_hostile_datagrams(heard, port):
    send(port, b"\xff\xfe\x1b[2J" * 5000)
    send(port, b"")
    send(port, b"after")
    heard.out_lines.wait_for("after")
    out = heard.out_lines.getvalue()
    assert "not UTF-8" in out and "empty datagram" in out, "odd datagrams are shown escaped, with a note"
    assert "\x1b" not in out, "no terminal escape reaches the log"


def test_a_listener_whose_socket_is_gone_binds_a_new_one(heard, port):
    """A closed socket (EBADF) must not make the loop spin on errors: it binds again."""
    old = heard.sock
    old.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and (heard.sock is None or heard.sock is old):
        time.sleep(0.05)
    assert heard.sock is not None and heard.sock is not old, "the listener must take UDP 9090 again"
    send(port, b"back again")
    assert heard.out_lines.wait_for("back again"), "and hear messages on it"


def test_flood_is_summed_up_and_the_listener_goes_on(heard, port):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for number in range(2000):
            sock.sendto(b"flood %d" % number, ("127.0.0.1", port))
    time.sleep(0.3)
    send(port, b"still here")
    heard.out_lines.wait_for("still here")
    out = heard.out_lines.getvalue()
    assert out.count("flood") < 200, "a flood must not be printed line by line into the container log"
    assert "messages not shown" in out, "what was held back is counted in one line"


def test_a_slow_name_lookup_does_not_hold_the_listener(tmp_path, port, pause_file):
    out = Lines()
    names = Names(lookup=lambda address: time.sleep(3) or "late.lab.internal", wait=0.2)
    ear = listener.Listener("0.0.0.0", port, names=names, out=out,
                            log=listener.LogFile(tmp_path / "chat.log"), pause=pause_file)
    ear.bind()
    ear.start()
    try:
        started = time.monotonic()
        send(port, b"one")
        send(port, b"two")
        out.wait_for("two", timeout=2)
        took = time.monotonic() - started
    finally:
        ear.stop()
    assert took < 1.5, f"with no PTR answer the line shows the address quickly ({took:.2f} s)"
    assert "127.0.0.1 port" in out.wait_for("one"), "the address stands in for the name"


def test_pause_frees_the_port_and_resume_takes_it_back(heard, port, pause_file):
    cli.pause(30)
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("0.0.0.0", port))  # what the course's receiver does: no SO_REUSEPORT
    probe.close()
    cli.resume()
    assert not cli.port_is_free(), "after resume the listener holds the port again"
    send(port, b"back again")
    assert heard.out_lines.wait_for("back again"), "and hears messages again"


def test_chat_send_goes_from_port_9090(heard, port, capsys):
    assert cli.main(["send", "127.0.0.2", "from", "the", "cli"]) == 0
    line = heard.out_lines.wait_for("from the cli")
    assert f"port {port}):" in line, \
        "our sender shares the chat port, so replies come back to it, the course's way"


def test_chat_send_to_itself_reaches_the_listener(heard, port, capsys):
    assert cli.main(["send", "127.0.0.1", "note to self"]) == 0
    assert heard.out_lines.wait_for("note to self"), \
        "a socket connected to its own address would swallow its own message; the listener must get it"


def test_chat_send_without_the_listener_uses_any_port(port, capsys):
    blocker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    blocker.bind(("127.0.0.2", port))  # someone holds the port without sharing it
    try:
        cli.send_one("127.0.0.2", "hi")
        data, sender = blocker.recvfrom(100)
    finally:
        blocker.close()
    assert data == b"hi", "the datagram is exactly the UTF-8 text"
    assert sender[1] != port, "when 9090 cannot be shared, the message goes from another port"


class Keyboard:
    """Lines typed one at a time, when the test says so."""

    def __init__(self):
        self.lines = queue.Queue()

    def type(self, line: str) -> None:
        self.lines.put(line + "\n")

    def readline(self) -> str:
        return self.lines.get(timeout=10)


def test_interactive_chat_sends_and_receives(port):
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    peer.bind(("127.0.0.2", port))
    peer.settimeout(5)
    keyboard, out = Keyboard(), Lines()
    session = threading.Thread(target=cli.talk, args=("127.0.0.2", keyboard, out))
    session.start()
    try:
        out.wait_for("talking with")
        keyboard.type("hello peer")
        data, address = peer.recvfrom(100)
        assert data == b"hello peer", "what is typed is sent as it is"
        peer.sendto(b"hello you", address)
        assert out.wait_for("127.0.0.2: hello you"), "what the peer sends is printed by the receiving thread"
        keyboard.type("exit")
        session.join(5)
        assert not session.is_alive(), "`exit` ends the session"
    finally:
        keyboard.type("exit")
        peer.close()


def test_own_broadcast_uses_the_interface_toward_the_gateway(monkeypatch):
    from lanlab.host import node
    import ipaddress
    monkeypatch.setattr(node, "interfaces", lambda: [
        node.Interface("eth1", "", (ipaddress.ip_interface("10.9.9.9/8"),)),
        node.Interface("eth0", "", (ipaddress.ip_interface("192.168.7.20/24"),)),
    ])
    monkeypatch.setattr(node, "routes", lambda: [{"dst": "default", "gateway": "192.168.7.1"}])
    assert str(cli.own_broadcast()) == "192.168.7.255", \
        "the broadcast goes to this host's subnet, computed from its own address and mask"


@pytest.mark.parametrize("argv, code", [
    ([], 2), (["send", "x"], 2), (["broadcast"], 2), (["pause", "soon"], 1), (["pause", "0"], 1),
    (["resume", "x"], 2), (["a", "b"], 2),
])
def test_usage(argv, code, capsys):
    assert cli.main(argv) == code, f"chat {' '.join(argv)}: exit {code} with one clear message"


def test_message_too_long_is_refused(capsys):
    assert cli.main(["send", "127.0.0.1", "x" * 2000]) == 1, "a message the course's receivers would cut is refused"
    assert "at most 1024" in capsys.readouterr().err
