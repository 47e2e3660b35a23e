"""The chat's message rules: datagram bytes -> one line of display text, and back. No I/O.

On the wire a message is plain UTF-8 text in one UDP datagram (RFC 768) to port 9090, the
course's way, so the course's chat scripts and ours talk to each other. Nothing frames it.

Receiving, whatever arrives becomes exactly one printable line:
  - bytes that are not UTF-8 (RFC 3629) are shown as \\xNN and the line says so;
  - characters that do not print (newlines, the escape sequences that drive a terminal,
    line separators, the bidirectional overrides) are shown as \\n, \\x1b, \\u202e:
    one datagram, one log line, nothing hidden;
  - one trailing newline is dropped (``echo hi | nc -u`` sends one);
  - past SHOW_LIMIT bytes the rest is cut, and the line says how much.
Sending, a message must be 1 to SEND_LIMIT bytes of UTF-8: the course's receivers read
1024 bytes at a time and would cut anything longer.

`Flood` is the listener's brake: at most `rate` lines a second are shown (with a burst),
the others are counted and summed up in one line.
"""
from __future__ import annotations

from collections import namedtuple

from lanlab.contracts import CHAT_PORT

PORT = CHAT_PORT
SEND_LIMIT = 1024
SHOW_LIMIT = 1024


class MessageError(ValueError):
    """A message that cannot be sent; the text says why."""


class Shown(namedtuple("Shown", "text note", defaults=("",))):
    """A received datagram as display text, with a note when it had to be altered.
    (A namedtuple, not a dataclass: every host imports this, and `dataclasses` would
    cost each of them more memory than the whole module.)"""
    __slots__ = ()

    def line(self) -> str:
        return f"{self.text} [{self.note}]" if self.note else self.text


def encode(text: str) -> bytes:
    data = text.encode("utf-8")
    if not data:
        raise MessageError("empty message: nothing to send")
    if len(data) > SEND_LIMIT:
        raise MessageError(f"message is {len(data)} bytes; at most {SEND_LIMIT} fit the course's receivers")
    return data


def show(data: bytes) -> Shown:
    """One datagram -> display text that is one safe line."""
    notes = []
    if not data:
        return Shown("", "empty datagram")
    if len(data) > SHOW_LIMIT:
        notes.append(f"{len(data) - SHOW_LIMIT} more bytes not shown")
        data = data[:SHOW_LIMIT]
    data = data.removesuffix(b"\n").removesuffix(b"\r")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        if notes and error.start >= len(data) - 3:
            text = data[:error.start].decode("utf-8")  # the cut split a character
        else:
            text = data.decode("utf-8", errors="backslashreplace")
            notes.insert(0, "not UTF-8, shown escaped")
    return Shown(escape(text), "; ".join(notes))


def escape(text: str) -> str:
    return "".join(escape_char(c) for c in text)


def escape_char(c: str) -> str:
    """Printable characters stay; the others (controls, line and paragraph separators,
    format characters such as the bidirectional overrides) become visible escapes."""
    if c.isprintable():
        return c
    if c in "\n\r\t":
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}[c]
    code = ord(c)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def format_line(name: str | None, address: str, port: int, shown: Shown) -> str:
    """How the listener prints a message: who (reverse DNS, else the address), from where."""
    who = f"{name} ({address} port {port})" if name else f"{address} port {port}"
    return f"{who}: {shown.line()}"


def broadcast_address(address):
    """The subnet's broadcast address (an ipaddress.IPv4Address) of a host's
    ipaddress.IPv4Interface: the host's address OR the inverted mask."""
    return address.network.broadcast_address


class Flood:
    """A token bucket: `allow(now)` says whether to show the next line; `missed()` returns
    (and resets) how many were held back, for one summary line."""

    def __init__(self, rate: float = 50.0, burst: int = 100):
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.last: float | None = None
        self.held = 0

    def allow(self, now: float) -> bool:
        if self.last is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        self.held += 1
        return False

    def missed(self) -> int:
        held, self.held = self.held, 0
        return held
