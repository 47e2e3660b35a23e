"""Keeping DNS in step with leases, in the background, so DHCP never waits for DNS.

For each lease with a host name the server queues an "add" (A + PTR records) and, on
release, decline or expiry, a "remove". A worker thread sends them with lanlab.ddns
(RFC 2136 updates signed with TSIG, RFC 8945), retrying with growing pauses. The TSIG key
is made by the dns container at its start, so a missing key is retried, not fatal. If
lanlab.ddns is not installed, one log line says so and the queue is drained unused.
"""
from __future__ import annotations

import queue
import threading
import time
from typing import Callable, Iterable

from lanlab.dhcp.server import DnsChange

MAX_PENDING = 10_000
PAUSES = (0.5, 1, 2, 5, 10, 30)  # between tries of one change
MAX_TRIES = 20


class DnsQueue:
    def __init__(self, server: str | None, key_path: str, ttl: int, log: Callable[[str], None]):
        self.server = server
        self.key_path = key_path
        self.ttl = ttl
        self.log = log
        self.queue: queue.Queue[DnsChange] = queue.Queue(MAX_PENDING)
        self.ddns = None
        self.key = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        if self.server is None:
            self.log("DNS updates off (no ddns_server in the configuration)")
            return
        try:
            from lanlab import ddns  # written for the DNS issue; may be absent
        except ImportError:
            self.log("lanlab.ddns is not installed: DNS records will not follow leases")
            return
        self.ddns = ddns
        self.thread = threading.Thread(target=self.work, name="ddns", daemon=True)
        self.thread.start()

    def put(self, changes: Iterable[DnsChange]) -> None:
        if self.ddns is None:
            return
        for change in changes:
            try:
                self.queue.put_nowait(change)
            except queue.Full:
                self.log(f"DNS queue full ({MAX_PENDING}): {change.action} {change.hostname} dropped")

    def work(self) -> None:
        while True:
            change = self.queue.get()
            try:
                self.send_with_retries(change)
            except Exception as error:  # the worker must outlive any one change
                self.log(f"DNS {change.action} {change.hostname} failed: {error!r}")

    def send_with_retries(self, change: DnsChange) -> None:
        for attempt in range(MAX_TRIES):
            error = self.send(change)
            if error is None:
                return
            if attempt in (0, 3) or attempt == MAX_TRIES - 1:
                self.log(f"DNS {change.action} {change.hostname} {change.address}: {error} (try {attempt + 1})")
            time.sleep(PAUSES[min(attempt, len(PAUSES) - 1)])
        self.log(f"DNS {change.action} {change.hostname} given up after {MAX_TRIES} tries")

    def send(self, change: DnsChange) -> str | None:
        """None on success, else why not."""
        ddns = self.ddns
        try:
            if self.key is None:
                self.key = ddns.load_key(self.key_path)
            if change.action == "add":
                ddns.add_host(self.server, change.hostname, str(change.address), self.ttl, self.key)
            else:
                ddns.remove_host(self.server, change.hostname, str(change.address), self.key)
        except ddns.DdnsError as error:
            self.key = None  # the dns container may have made a new key: read it again
            return str(error)
        return None
