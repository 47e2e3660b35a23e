"""The chat's message rules: every datagram becomes one safe line; sending limits."""
import ipaddress

import pytest

from lanlab.chat import handler as message
from lanlab.chat.handler import Shown


@pytest.mark.parametrize("data, text, note", [
    (b"hello", "hello", ""),
    (b"hello\n", "hello", ""),
    (b"hello\r\n", "hello", ""),
    ("grüße, 日本".encode(), "grüße, 日本", ""),
    (b"two\nlines", "two\\nlines", ""),
    (b"\x1b[2J\x1b[31mred", "\\x1b[2J\\x1b[31mred", ""),
    (b"tab\there", "tab\\there", ""),
    (b"nul\x00", "nul\\x00", ""),
    ("evil\u202etxt.exe".encode(), "evil\\u202etxt.exe", ""),
    ("\u0085next".encode(), "\\x85next", ""),
    (b"back\\slash", "back\\slash", ""),
    (b"\xff\xfeoops", "\\xff\\xfeoops", "not UTF-8, shown escaped"),
    (b"", "", "empty datagram"),
])
def test_show(data, text, note):
    assert message.show(data) == Shown(text, note), \
        f"{data!r}: one printable line, altered only visibly and with a note when not UTF-8"


def test_one_datagram_is_one_line():
    for data in (b"a\nb\rc", bytes(range(256)), "\u2028\u2029".encode()):
        line = message.show(data).line()
        assert "\n" not in line and "\r" not in line, f"{data!r} must not split the log line: {line!r}"
        assert all(c.isprintable() for c in line), f"{data!r} must not put control characters in a log: {line!r}"


def test_over_long_datagram_is_cut_with_a_note():
    shown = message.show(b"a" * 5000)
    assert shown.text == "a" * message.SHOW_LIMIT, "only the first SHOW_LIMIT bytes are shown"
    assert shown.note == f"{5000 - message.SHOW_LIMIT} more bytes not shown", "and the line says how much is missing"


def test_cut_inside_a_character_is_not_called_undecodable():
    data = b"a" * (message.SHOW_LIMIT - 1) + "é".encode() * 10
    shown = message.show(data)
    assert "not UTF-8" not in shown.note and shown.text == "a" * (message.SHOW_LIMIT - 1), \
        "a cut through a UTF-8 sequence is our doing, not the sender's: drop the half character"


def test_format_line():
    shown = Shown("hi")
    assert message.format_line("alice.lab.internal", "192.168.7.20", 9090, shown) == \
        "alice.lab.internal (192.168.7.20 port 9090): hi", "name, address and port, then the text"
    assert message.format_line(None, "192.168.7.20", 40000, Shown("x", "not UTF-8, shown escaped")) == \
        "192.168.7.20 port 40000: x [not UTF-8, shown escaped]", "no PTR: the address alone, and the note"


@pytest.mark.parametrize("text", ["hi", "é" * 512, "x" * message.SEND_LIMIT])
def test_encode_accepts(text):
    assert message.encode(text) == text.encode("utf-8"), "on the wire: the plain UTF-8 bytes, nothing else"


@pytest.mark.parametrize("text", ["", "x" * (message.SEND_LIMIT + 1), "é" * 513])
def test_encode_refuses(text):
    with pytest.raises(message.MessageError):
        message.encode(text)


@pytest.mark.parametrize("address, broadcast", [
    ("192.168.7.20/24", "192.168.7.255"),
    ("192.168.13.18/24", "192.168.13.255"),
    ("192.168.7.20/16", "192.168.255.255"),
    ("10.0.0.2/30", "10.0.0.3"),
    ("172.33.7.224/24", "172.33.7.255"),
])
def test_broadcast_address(address, broadcast):
    interface = ipaddress.ip_interface(address)
    assert message.broadcast_address(interface) == ipaddress.ip_address(broadcast), \
        f"{address}: the address OR the inverted mask"
    assert message.broadcast_address(interface) == interface.network.broadcast_address


def test_flood_brake():
    flood = message.Flood(rate=10, burst=5)
    shown = [flood.allow(0.0) for _ in range(20)]
    assert shown.count(True) == 5, "a burst passes, then the brake holds"
    assert flood.missed() == 15 and flood.missed() == 0, "the held lines are counted once, for one summary"
    assert flood.allow(0.1) and not flood.allow(0.1), "tokens come back at `rate` a second"
    assert flood.allow(10.0), "after a quiet spell lines pass again"
