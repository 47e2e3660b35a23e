"""The DNS server's sockets: UDP and TCP on port 53, around the pure handler (answer.py).

One process, two threads. UDP has a thread of its own that blocks in recvfrom and
answers each datagram from the handler's reply cache when it can (the fast path: no
parsing, no lock), by the handler otherwise: no select() and no EAGAIN per datagram,
which is most of the latency at a few thousand queries a second. TCP and the
housekeeping share one `selectors` loop in the main thread. The handler is called under
one lock from either thread (an UPDATE over TCP and a query over UDP never interleave).
TCP (RFC 7766): every message carries a two-byte length;
a client has `TCP_TIMEOUT` seconds to finish each message, at most `TCP_CLIENTS`
clients are kept (the oldest is closed for a new one), and replies a client does not
read are bounded by `TCP_BACKLOG` bytes. Whatever goes wrong with one datagram or one
client is logged and the loop goes on. After every change the handler reports, the
changed zones are written to disk before the next datagram is read.

Log lines go to stderr, at most `LOG_BURST` a second; the rest are counted in one line.

    python3 -m lanlab.nameserver.program [CONFIG]     (default: env LANLAB_DNS_CONFIG)
"""
from __future__ import annotations

import os
import selectors
import socket
import sys
import threading
import time
from typing import Callable

from lanlab.nameserver import disk, keys
from lanlab.ratelog import RateLog
from lanlab.nameserver.handler import Nameserver
from lanlab.nameserver.config import Config, ConfigError, load_config
from lanlab.nameserver.zones import build_zones

TCP_TIMEOUT = 10.0
TCP_CLIENTS = 64
TCP_BACKLOG = 256 * 1024
UDP_SIZE = 65535
LOG_BURST = 20


class TcpClient:
    __slots__ = ("sock", "name", "inbox", "outbox", "deadline")

    def __init__(self, sock: socket.socket, name: str, deadline: float):
        self.sock, self.name, self.deadline = sock, name, deadline
        self.inbox, self.outbox = bytearray(), bytearray()


class Server:
    def __init__(self, handler: Nameserver, udp: socket.socket, tcp: socket.socket,
                 save: Callable[[], None], log: Callable[[str], None], clock=time.monotonic):
        self.handler, self.udp, self.tcp = handler, udp, tcp
        self.save, self.log, self.clock = save, log, clock
        self.clients: dict[socket.socket, TcpClient] = {}
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.selector = selectors.DefaultSelector()
        self.selector.register(tcp, selectors.EVENT_READ, self.accept)

    def run_forever(self) -> None:
        self.udp_thread()
        while True:
            try:
                self.step(1.0)
            except Exception as error:  # the loop never dies; pause so a fault cannot spin
                self.log(f"error in the server loop: {error!r}")
                time.sleep(0.1)

    def step(self, timeout: float) -> None:
        for key, mask in self.selector.select(timeout):
            try:
                key.data(key.fileobj, mask)
            except Exception as error:  # one bad socket never stops the loop
                self.log(f"error on {key.data.__name__}: {error!r}")
                if key.fileobj in self.clients:
                    self.close(self.clients[key.fileobj], "error")
        self.expire()
        if self.handler.dirty:
            with self.lock:
                self.save()
        if isinstance(self.log, RateLog):
            self.log.tick()

    # --- UDP --------------------------------------------------------------------------

    def udp_thread(self) -> threading.Thread:
        """Serve UDP from a thread of its own (run_forever starts it; tests call it)."""
        self.udp.setblocking(True)
        thread = threading.Thread(target=self.udp_forever, name="dns-udp", daemon=True)
        thread.start()
        return thread

    def udp_forever(self) -> None:
        """Answer datagrams until stop_udp. A cached reply is the first thing tried after
        each receive, with nothing else in its way (the latency at a low rate is mostly
        the wake-up and this path, run with cold caches)."""
        recvfrom, sendto, cached = self.udp.recvfrom, self.udp.sendto, self.handler.cache.get
        while True:
            try:
                wire, peer = recvfrom(UDP_SIZE)
            except OSError as error:
                if self.stopped.is_set():
                    return
                self.log(f"UDP receive failed ({error.strerror}); going on")
                time.sleep(0.01)
                continue
            try:
                hit = cached(wire[2:])  # a reply made before, for this query's ID
                if hit is not None:
                    sendto(wire[:2] + hit, peer)
                elif peer is None:  # woken by stop_udp's shutdown
                    if self.stopped.is_set():
                        return
                else:
                    self.answer_udp(wire, peer)
            except OSError as error:
                self.log(f"{peer[0]}:{peer[1]}: reply not sent ({error.strerror})")
            except Exception as error:  # the loop never dies
                self.log(f"error answering {peer[0]}:{peer[1]}: {error!r}")

    def stop_udp(self) -> None:
        """End udp_forever (for tests): shutdown wakes a thread blocked in recvfrom."""
        self.stopped.set()
        try:
            self.udp.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # an unconnected UDP socket says ENOTCONN, and wakes its reader all the same

    def answer_udp(self, wire: bytes, peer) -> None:
        with self.lock:
            reply = self.handler.handle(wire, False, f"{peer[0]}:{peer[1]}")
            if self.handler.dirty:
                self.save()
        if reply is not None:
            self.udp.sendto(reply, peer)  # an OSError is logged by udp_forever

    # --- TCP --------------------------------------------------------------------------

    def accept(self, sock: socket.socket, mask: int) -> None:
        while True:
            try:
                conn, peer = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            if len(self.clients) >= TCP_CLIENTS:
                oldest = min(self.clients.values(), key=lambda c: c.deadline)
                self.close(oldest, f"more than {TCP_CLIENTS} TCP clients")
            conn.setblocking(False)
            client = TcpClient(conn, f"{peer[0]}:{peer[1]}/tcp", self.clock() + TCP_TIMEOUT)
            self.clients[conn] = client
            self.selector.register(conn, selectors.EVENT_READ, self.serve_tcp)

    def serve_tcp(self, sock: socket.socket, mask: int) -> None:
        client = self.clients.get(sock)
        if client is None:
            return
        if mask & selectors.EVENT_READ and not self.read_tcp(client):
            return
        self.flush(client)

    def read_tcp(self, client: TcpClient) -> bool:
        try:
            data = client.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return True
        except OSError as error:
            self.close(client, f"receive failed ({error.strerror})")
            return False
        if not data:
            self.close(client, None)
            return False
        client.inbox += data
        while len(client.inbox) >= 2:
            size = int.from_bytes(client.inbox[:2], "big")
            if len(client.inbox) < 2 + size:
                break
            wire = bytes(client.inbox[2:2 + size])
            del client.inbox[:2 + size]
            client.deadline = self.clock() + TCP_TIMEOUT
            with self.lock:
                reply = self.handler.handle(wire, True, client.name)
                if self.handler.dirty:
                    self.save()
            if reply is not None:
                client.outbox += len(reply).to_bytes(2, "big") + reply
        if len(client.outbox) > TCP_BACKLOG:
            self.close(client, f"more than {TCP_BACKLOG} bytes of replies unread")
            return False
        return True

    def flush(self, client: TcpClient) -> None:
        if client.outbox:
            try:
                sent = client.sock.send(client.outbox)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError as error:
                self.close(client, f"send failed ({error.strerror})")
                return
            del client.outbox[:sent]
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if client.outbox else 0)
        self.selector.modify(client.sock, events, self.serve_tcp)

    def expire(self) -> None:
        now = self.clock()
        for client in [c for c in self.clients.values() if c.deadline < now]:
            why = "an unfinished message" if client.inbox else "nothing more"
            self.close(client, f"{why} within {TCP_TIMEOUT:.0f} s" if client.inbox else None)

    def close(self, client: TcpClient, why: str | None) -> None:
        if why:
            self.log(f"{client.name}: closed: {why}")
        self.clients.pop(client.sock, None)
        try:
            self.selector.unregister(client.sock)
        except (KeyError, ValueError):
            pass
        client.sock.close()


# --- start-up ---------------------------------------------------------------------------

def bind(config: Config) -> tuple[socket.socket, socket.socket]:
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for option in (socket.SO_RCVBUF, socket.SO_SNDBUF):
        udp.setsockopt(socket.SOL_SOCKET, option, 4 << 20)
    udp.bind((config.listen, config.port))
    udp.setblocking(False)
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((config.listen, config.port))
    tcp.listen(128)
    tcp.setblocking(False)
    return udp, tcp


def prepare(config: Config, log: Callable[[str], None]) -> tuple[Nameserver, Callable[[], None]]:
    """The handler with its zones loaded from disk, and the function that saves them."""
    key, made = keys.ensure_key(config.key)
    log(f"TSIG key {key.name} ({config.key}) {'made now' if made else 'found'}")
    zones = build_zones(config)
    stale = disk.load_zones(zones, config.records, log)
    handler = Nameserver(zones, key, config.max_records, log)
    handler.dirty.update(zone.origin for zone in stale)

    def save() -> None:
        for origin in sorted(handler.dirty):
            zone = handler.zones.exact(origin)
            try:
                disk.save_zone(zone, config.records)
            except OSError as error:
                log(f"cannot save zone {origin}: {error.strerror}; it is kept in memory")
        handler.dirty.clear()

    save()
    return handler, save


def run(config_path: str | os.PathLike, ready: Callable[[], None] = lambda: None,
        log: Callable[[str], None] | None = None) -> int:
    log = log or RateLog("lanlab[dns]", burst=LOG_BURST)
    try:
        config = load_config(config_path)
        handler, save = prepare(config, log)
        udp, tcp = bind(config)
    except (ConfigError, keys.KeyFileError) as error:
        log(f"error: {error}")
        return 1
    except OSError as error:
        log(f"error: cannot start: {error}")
        return 1
    zones = ", ".join(str(zone.origin) for zone in handler.zones)
    log(f"serving {zones} on {config.listen}:{config.port} (UDP and TCP)")
    ready()
    Server(handler, udp, tcp, save, log).run_forever()
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path = argv[0] if argv else os.environ.get("LANLAB_DNS_CONFIG")
    if not path:
        print("usage: python3 -m lanlab.nameserver.program CONFIG (or set LANLAB_DNS_CONFIG)", file=sys.stderr)
        return 2
    return run(path)


if __name__ == "__main__":
    sys.exit(main())
