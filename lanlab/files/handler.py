"""The file protocol on TCP 9090 of `files`: two request forms on one port, no I/O here.

No RFC defines it; the status line borrows the shape of HTTP/1.0's (RFC 1945, section 6.1):
a version, a three-digit code, a word, then details. Names travel as UTF-8 (RFC 3629).

Our form: a request line, then a status line that says the size and the SHA-256 before the
bytes, so a client knows what it will get and every error is explicit:

    client:  FILES/1 GET hello.txt\\n
    server:  FILES/1 200 ok 13 <64 hex digits of sha256>\\n   then exactly 13 bytes, then close
    server:  FILES/1 404 not-found no such file: nope.txt\\n  then close

The course's bare form: the client sends just a file name (a newline is optional) and reads
until the server closes. The server sends the bytes and closes, or, for any error, closes
with nothing sent (it has no way to say why) and writes one log line.

The two are told apart by the first bytes: a request that starts with ``FILES/1 `` is ours,
anything else is a bare name. (So a bare client cannot ask for a file whose name starts with
``FILES/1 ``; no file here is named so.)

Codes: 200 ok, 400 bad-request (not our grammar, NUL or control bytes, not UTF-8, too long),
403 refused (the name leaves the served folder: ``..``, an absolute path, a symlink out),
404 not-found (missing, or a directory), 408 timeout, 500 error, 503 busy.

`parse_request` reads what a client sent so far; `check_name` is the path refusal table;
`build_*` and `parse_status` make and read the status line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from lanlab.contracts import FILES_PORT

PORT = FILES_PORT
MAGIC = b"FILES/1 "
VERSION = "FILES/1"
MAX_PART = 255          # bytes in one path component (NAME_MAX on Linux)
MAX_NAME = 4096         # bytes in a whole name (PATH_MAX on Linux)
MAX_REQUEST = len(MAGIC) + len(b"GET ") + MAX_NAME + 2  # the longest line worth reading
MAX_STATUS = 1024       # a status line longer than this is not from our server

OURS = "ours"
BARE = "bare"

REASONS = {
    200: "ok", 400: "bad-request", 403: "refused", 404: "not-found",
    408: "timeout", 500: "error", 503: "busy",
}

SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class ProtocolError(ValueError):
    """Bytes that do not follow the protocol; the message says which rule they broke."""


@dataclass(frozen=True)
class Status:
    """What the server answers, in our form. `size` and `sha256` only with code 200."""
    code: int
    text: str = ""
    size: int | None = None
    sha256: str | None = None

    @property
    def ok(self) -> bool:
        return self.code == 200

    @property
    def reason(self) -> str:
        return REASONS.get(self.code, "error")


@dataclass(frozen=True)
class Request:
    """A complete request: the form, the checked name, or the refusal to send instead."""
    form: str
    name: str | None = None
    error: Status | None = None


class Refused(Exception):
    """A name the server will not serve; carries the status to answer with."""

    def __init__(self, status: Status):
        super().__init__(status.text)
        self.status = status


def refuse(code: int, text: str) -> Refused:
    return Refused(Status(code, text))


# --- names ------------------------------------------------------------------------

def check_name(raw: bytes) -> str:
    """The name as a relative path of plain parts, or Refused (the refusal table).

    Rules, in order: UTF-8 text; no NUL or other control bytes; at most 4096 bytes, each
    part at most 255; not absolute; no ``..`` part. Empty and ``.`` parts are dropped, so
    ``docs//./a.txt`` is ``docs/a.txt`` and an empty result names the folder itself.
    Symlinks are the server's business: only the file system knows where they point.
    """
    if b"\x00" in raw:
        raise refuse(400, "NUL byte in the name")
    try:
        name = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise refuse(400, "the name is not UTF-8") from None
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        raise refuse(400, "control character in the name")
    if not name:
        raise refuse(400, "empty name")
    if len(raw) > MAX_NAME:
        raise refuse(400, f"name longer than {MAX_NAME} bytes")
    parts = name.split("/")
    if any(len(part.encode()) > MAX_PART for part in parts):
        raise refuse(400, f"a part of the name is longer than {MAX_PART} bytes")
    if name.startswith("/"):
        raise refuse(403, "absolute path")
    if ".." in parts:
        raise refuse(403, "'..' leaves the served folder")
    return "/".join(part for part in parts if part not in ("", "."))


# --- requests ---------------------------------------------------------------------

def build_request(name: str) -> bytes:
    return MAGIC + b"GET " + name.encode("utf-8") + b"\n"


def parse_request(buffer: bytes, ended: bool) -> Request | None:
    """What the client asked for, from the bytes received so far.

    `ended` says no more bytes will come (the client closed its side, or the server gave
    up waiting). None means: keep reading. A request that breaks a rule comes back with
    `error` set; for the bare form the server closes instead of answering.
    """
    if buffer.startswith(MAGIC):
        return parse_ours(buffer, ended)
    if MAGIC.startswith(buffer) and not ended:
        return None  # could still become ours
    return parse_bare(buffer, ended)


def parse_ours(buffer: bytes, ended: bool) -> Request | None:
    line, found, _ = buffer.partition(b"\n")
    if not found:
        if len(buffer) > MAX_REQUEST:
            return Request(OURS, error=Status(400, "request line too long"))
        if ended:
            return Request(OURS, error=Status(400, "the request line was not finished"))
        return None
    line = line[len(MAGIC):].removesuffix(b"\r")
    method, space, raw_name = line.partition(b" ")
    if method != b"GET" or not space:
        return Request(OURS, error=Status(400, "expected: FILES/1 GET <name>"))
    return named(OURS, raw_name)


def parse_bare(buffer: bytes, ended: bool) -> Request | None:
    line, found, _ = buffer.partition(b"\n")
    if not found:
        if len(buffer) > MAX_REQUEST:
            return Request(BARE, error=Status(400, "name too long"))
        if not ended:
            return None
    line = line.removesuffix(b"\r").strip(b" \t")
    return named(BARE, line)


def named(form: str, raw_name: bytes) -> Request:
    try:
        return Request(form, name=check_name(raw_name))
    except Refused as refused:
        return Request(form, error=refused.status)


# --- status lines -----------------------------------------------------------------

def build_status(status: Status) -> bytes:
    if status.ok:
        detail = f"{status.size} {status.sha256}"
    else:
        detail = " ".join(status.text.split())  # one line, whatever the text held
    return f"{VERSION} {status.code} {status.reason} {detail}".rstrip().encode() + b"\n"


def ok(size: int, sha256: str) -> Status:
    return Status(200, size=size, sha256=sha256)


def parse_status(line: bytes) -> Status:
    """A status line (with or without its newline) -> Status, or ProtocolError."""
    try:
        text = line.removesuffix(b"\n").removesuffix(b"\r").decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError("status line is not UTF-8") from None
    fields = text.split(" ", 3)
    if len(fields) < 3 or fields[0] != VERSION or not fields[1].isdigit() or len(fields[1]) != 3:
        raise ProtocolError(f"not a FILES/1 status line: {text[:80]!r}")
    code, detail = int(fields[1]), fields[3] if len(fields) > 3 else ""
    if code != 200:
        return Status(code, detail)
    size, _, digest = detail.partition(" ")
    if not size.isdigit() or not SHA256_HEX.fullmatch(digest):
        raise ProtocolError(f"a 200 status needs a size and a sha256: {text[:120]!r}")
    return Status(200, size=int(size), sha256=digest)
