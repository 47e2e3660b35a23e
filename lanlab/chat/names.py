"""Sender names by reverse DNS (PTR, RFC 1035 section 3.5), never holding the listener up.

The C library's resolver cannot be given a timeout per call (resolv.conf may say 5 s and two
tries), so each lookup runs in a thread of its own and the listener waits at most `wait`
seconds for it. A slow or missing answer means the line shows the address; the name is
remembered when it comes, for `ttl` seconds, and so is the lack of one. At most `pending`
lookups run at once: a flood from many addresses shows addresses, it does not pile up threads.
"""
from __future__ import annotations

import socket
import threading
import time


def reverse_lookup(address: str) -> str | None:
    try:
        name = socket.gethostbyaddr(address)[0]
    except OSError:
        return None
    return None if name == address else name.rstrip(".")


class Names:
    def __init__(self, lookup=reverse_lookup, wait: float = 0.5, ttl: float = 60.0,
                 pending: int = 4, size: int = 1024, clock=time.monotonic):
        self.lookup, self.wait, self.ttl = lookup, wait, ttl
        self.limit, self.size, self.clock = pending, size, clock
        self.lock = threading.Lock()
        self.known: dict[str, tuple[str | None, float]] = {}
        self.running: dict[str, threading.Event] = {}

    def name_of(self, address: str) -> str | None:
        """The name if known or found within `wait` seconds, else None (show the address)."""
        with self.lock:
            entry = self.known.get(address)
            if entry is not None and entry[1] > self.clock():
                return entry[0]
            event = self.running.get(address)
            if event is None:
                if len(self.running) >= self.limit:
                    return None
                event = self.running[address] = threading.Event()
                threading.Thread(target=self.resolve, args=(address, event), daemon=True,
                                 name="chat-ptr").start()
            else:
                return None  # someone is already waiting on it: do not wait twice
        event.wait(self.wait)
        with self.lock:
            entry = self.known.get(address)
            return entry[0] if entry is not None else None

    def resolve(self, address: str, event: threading.Event) -> None:
        try:
            name = self.lookup(address)
        except Exception:
            name = None
        with self.lock:
            if len(self.known) >= self.size:
                self.known.clear()
            self.known[address] = (name, self.clock() + self.ttl)
            self.running.pop(address, None)
        event.set()
