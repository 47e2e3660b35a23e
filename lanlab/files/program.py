"""The file server on TCP 9090 of `files`: serves the files under /srv/files, read-only.

Concurrency: one thread per connection, at most `max_clients` at once. The work is waiting
on sockets and disks, and `os.sendfile` copies file pages to the socket inside the kernel
with the GIL released, so threads run transfers in parallel while the process keeps one
Python heap. A pool of processes would pay a Python interpreter per worker, and twenty
clients would break the 50 MiB budget that threads keep. Memory does not grow
with file size (the bytes never enter Python) nor much with clients (a thread's stack).

Limits: a request must arrive within `request_timeout` seconds in all (a client sending a
byte a second cannot hold a thread); a transfer that makes no progress for `idle_timeout`
seconds is dropped; past `max_clients`, a few more connections get a `503 busy` (ours) or a
close (bare), and beyond those a connection is closed at once.

Every connection ends in one log line: what was sent, or why it was refused.
"""
from __future__ import annotations

import hashlib
import os
import select
import socket
import stat
import sys
import threading
import time
from dataclasses import dataclass

from lanlab.files import handler as protocol
from lanlab.files.handler import BARE, OURS, Refused, Request, Status

ROOT = "/srv/files"
BARE_QUIET = 0.1   # a bare name without newline is complete after this much silence
EXTRA_REFUSALS = 16


def log_line(message: str) -> None:
    print(f"files: {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Opened:
    """A file opened for sending: descriptor, size, identity for the checksum cache."""
    fd: int
    size: int
    key: tuple


def open_inside(root: str, name: str) -> Opened:
    """Open `name` (already checked by protocol.check_name) under `root`, or Refused.

    The real path must stay under the real root: a symlink may point anywhere inside the
    served folder, never out of it."""
    real_root = os.path.realpath(root)
    path = os.path.realpath(os.path.join(real_root, name))
    if os.path.commonpath([real_root, path]) != real_root:
        raise protocol.refuse(403, f"{name} points outside the served folder")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except FileNotFoundError:
        raise protocol.refuse(404, f"no such file: {name}") from None
    except PermissionError:
        raise protocol.refuse(403, f"not readable: {name}") from None
    except OSError as error:
        raise protocol.refuse(404, f"cannot open {name}: {error.strerror}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise protocol.refuse(404, f"{name or '/'} is {kind}")
    os.set_blocking(fd, True)
    return Opened(fd, info.st_size, (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns))


class Checksums:
    """SHA-256 of each file, computed once per (device, inode, size, mtime) and shared:
    twenty clients asking at once for a new file wait for one computation."""

    def __init__(self, limit: int = 1024):
        self.lock = threading.Lock()
        self.done: dict[tuple, str] = {}
        self.pending: dict[tuple, threading.Event] = {}
        self.limit = limit

    def get(self, opened: Opened) -> str:
        while True:
            with self.lock:
                if opened.key in self.done:
                    return self.done[opened.key]
                waiting = self.pending.get(opened.key)
                if waiting is None:
                    self.pending[opened.key] = threading.Event()
                    break
            waiting.wait()
        try:
            digest = sha256_of(opened.fd)
            with self.lock:
                if len(self.done) >= self.limit:
                    self.done.clear()
                self.done[opened.key] = digest
            return digest
        finally:
            with self.lock:
                self.pending.pop(opened.key).set()


def sha256_of(fd: int, block: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    buffer = bytearray(block)
    view = memoryview(buffer)
    offset = 0
    while count := os.preadv(fd, [buffer], offset):
        digest.update(view[:count])
        offset += count
    return digest.hexdigest()


class FileServer:
    def __init__(self, root: str = ROOT, host: str = "0.0.0.0", port: int = protocol.PORT,
                 max_clients: int = 64, request_timeout: float = 10.0,
                 idle_timeout: float = 30.0, log=log_line):
        self.root = root
        self.address = (host, port)
        self.max_clients = max_clients
        self.request_timeout = request_timeout
        self.idle_timeout = idle_timeout
        self.log = log
        self.slots = threading.BoundedSemaphore(max_clients)
        self.extra = threading.BoundedSemaphore(EXTRA_REFUSALS)
        self.checksums = Checksums()
        self.sock: socket.socket | None = None
        self.closed = threading.Event()

    # --- the accept loop ------------------------------------------------------------

    def bind(self) -> tuple[str, int]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(self.address)
        sock.listen(128)
        self.sock = sock
        return sock.getsockname()

    def start(self) -> threading.Thread:
        if self.sock is None:
            self.bind()
        thread = threading.Thread(target=self.serve_forever, name="files-accept", daemon=True)
        thread.start()
        return thread

    def serve_forever(self) -> None:
        host, port = self.sock.getsockname()
        self.log(f"serving {self.root} on TCP {host}:{port} (at most {self.max_clients} clients)")
        while not self.closed.is_set():
            try:
                conn, peer = self.sock.accept()
            except OSError as error:
                if self.closed.is_set():
                    return
                self.log(f"accept failed: {error}; going on")
                time.sleep(0.1)
                continue
            self.dispatch(conn, peer)

    def dispatch(self, conn: socket.socket, peer) -> None:
        if self.slots.acquire(blocking=False):
            target, release = self.handle, self.slots.release
        elif self.extra.acquire(blocking=False):
            target, release = self.refuse_busy, self.extra.release
        else:
            self.log(f"{peer[0]}:{peer[1]} closed at once: {self.max_clients} clients and "
                     f"{EXTRA_REFUSALS} refusals already running")
            conn.close()
            return

        def run():
            try:
                target(conn, peer)
            except Exception as error:  # the loop never dies; one line says what happened
                self.log(f"{peer[0]}:{peer[1]} internal error: {error!r}")
            finally:
                conn.close()
                release()

        try:
            threading.Thread(target=run, name="files-client", daemon=True).start()
        except RuntimeError as error:  # no thread to be had: refuse this one, keep accepting
            self.log(f"{peer[0]}:{peer[1]} closed at once: {error}")
            conn.close()
            release()

    def close(self) -> None:
        self.closed.set()
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()

    # --- one connection ---------------------------------------------------------------

    def handle(self, conn: socket.socket, peer) -> None:
        who = f"{peer[0]}:{peer[1]}"
        request = self.receive(conn, who)
        if request is None:
            return
        if request.error is not None:
            return self.refuse(conn, who, request, request.error)
        try:
            opened = open_inside(self.root, request.name)
        except Refused as refused:
            return self.refuse(conn, who, request, refused.status)
        try:
            self.send(conn, who, request, opened)
        finally:
            os.close(opened.fd)

    def refuse_busy(self, conn: socket.socket, peer) -> None:
        who = f"{peer[0]}:{peer[1]}"
        request = self.receive(conn, who, timeout=1.0)
        if request is not None:
            busy = Status(503, f"{self.max_clients} clients already; try again")
            self.refuse(conn, who, request, busy)

    def receive(self, conn: socket.socket, who: str, timeout: float | None = None) -> Request | None:
        """Read until a request is complete. None: nothing worth answering (logged).

        Our request ends at its newline. A bare name ends at a newline, when the client
        shuts its side, or after BARE_QUIET seconds of silence (the course's client sends
        the name and waits). Everything is bounded by the request deadline."""
        deadline = time.monotonic() + (timeout or self.request_timeout)
        buffer = b""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return self.timed_out(buffer, who)
            bare = looks_bare(buffer)
            conn.settimeout(min(left, BARE_QUIET) if bare else left)
            try:
                data = conn.recv(4096)
            except TimeoutError:
                if bare:
                    return protocol.parse_request(buffer, ended=True)
                continue
            except OSError as error:
                self.log(f"{who} connection failed while reading the request: {error}")
                return None
            if not data and not buffer:
                self.log(f"{who} closed without sending a request")
                return None
            buffer += data
            request = protocol.parse_request(buffer, ended=not data)
            if request is not None:
                return request

    def timed_out(self, buffer: bytes, who: str) -> Request | None:
        if buffer.startswith(protocol.MAGIC):
            late = f"no complete request within {self.request_timeout:.0f} s"
            return Request(OURS, error=Status(408, late))
        if not buffer:
            self.log(f"{who} sent nothing within {self.request_timeout:.0f} s; closed")
            return None
        return protocol.parse_request(buffer, ended=True)  # "FIL...": a bare name after all

    def refuse(self, conn: socket.socket, who: str, request: Request, status: Status) -> None:
        asked = f" {request.name!r}" if request.name is not None else ""
        if request.form == BARE:
            self.log(f"{who} bare request{asked} refused ({status.code} {status.text}); closed")
            return
        self.log(f"{who} request{asked} refused: {status.code} {status.text}")
        try:
            conn.settimeout(5.0)
            conn.sendall(protocol.build_status(status))
            conn.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def send(self, conn: socket.socket, who: str, request: Request, opened: Opened) -> None:
        started = time.monotonic()
        conn.settimeout(self.idle_timeout)
        try:
            if request.form == OURS:
                digest = self.checksums.get(opened)
                conn.sendall(protocol.build_status(protocol.ok(opened.size, digest)))
            sent = send_file(conn, opened, self.idle_timeout)
        except (Stalled, TimeoutError) as stalled:
            done = getattr(stalled, "sent", 0)
            self.log(f"{who} {request.name}: no progress for {self.idle_timeout:.0f} s after "
                     f"{done} of {opened.size} bytes; dropped")
            return
        except OSError as error:
            self.log(f"{who} {request.name}: client gone ({error.strerror or error})")
            return
        took = time.monotonic() - started
        self.log(f"{who} {request.form} {request.name}: sent {sent} bytes in {took:.2f} s")


def looks_bare(buffer: bytes) -> bool:
    """Some bytes arrived and they cannot become our request line."""
    return bool(buffer) and not buffer.startswith(protocol.MAGIC) and not protocol.MAGIC.startswith(buffer)


class Stalled(Exception):
    """The client took no bytes for the idle timeout; `sent` says how far it got."""

    def __init__(self, sent: int):
        super().__init__(f"stalled after {sent} bytes")
        self.sent = sent


def send_file(conn: socket.socket, opened: Opened, idle: float) -> int:
    """The whole file through sendfile(2), file pages to socket inside the kernel; a stall
    longer than `idle` seconds raises Stalled."""
    conn.setblocking(False)
    poller = select.poll()
    poller.register(conn, select.POLLOUT)
    offset = 0
    while offset < opened.size:
        try:
            sent = os.sendfile(conn.fileno(), opened.fd, offset, min(opened.size - offset, 1 << 30))
        except BlockingIOError:
            if not poller.poll(idle * 1000):
                raise Stalled(offset) from None
            continue
        if sent == 0:
            raise OSError(f"the file ended at {offset} of {opened.size} bytes: it changed while sending")
        offset += sent
    return offset


def start(root: str = ROOT, **options) -> FileServer:
    """Bind now (so the host is ready only once it listens), then serve in a thread."""
    server = FileServer(root, **options)
    server.bind()
    server.start()
    return server
