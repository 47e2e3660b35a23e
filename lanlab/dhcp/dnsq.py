"""Keeping DNS in step with leases, in the background, so DHCP never waits for DNS.

For each lease with a host name the server queues an "add" (A + PTR records) and, on
release, decline or expiry, a "remove". A worker thread sends them with lanlab.dhcp.ddns
(RFC 2136 updates signed with TSIG, RFC 8945):

- the TSIG key is made by the dns container at its start, so until it can be read the
  worker waits and tries again (one log line now and then), losing nothing;
- a change that fails is tried again later, with growing pauses, up to MAX_TRIES times;
  meanwhile the changes for other hosts go ahead, and those for the same host wait
  behind it, so their order is kept;
"""
from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable

from lanlab.dhcp import ddns as ddns_client
from lanlab.dhcp.handler import DnsChange

MAX_PENDING = 10_000              # changes waiting in the worker, and as many in the queue
PAUSES = (0.05, 0.25, 1, 2, 5, 10, 30)  # between tries of one change (the first: dns may be
                                        # a moment from listening, as at every lab start)
MAX_TRIES = 10
KEY_PAUSE = 1.0                   # at most, between tries to read the TSIG key
FIRST_KEY_PAUSE = 0.02            # at first: the dns container may be starting right now


@dataclass
class Pending:
    change: DnsChange
    tries: int = 0
    due: float = 0.0


class DnsQueue:
    def __init__(self, server: str | None, key_path: str, ttl: int, log: Callable[[str], None],
                 client=ddns_client, domain: str = ddns_client.DOMAIN):
        """`client` sends the updates: lanlab.dhcp.ddns, or the tests' stand-in; `domain`
        is the configured one (dhcp.toml's `domain`, option 15)."""
        self.server = server
        self.domain = domain
        self.client = client
        self.key_path = key_path
        self.ttl = ttl
        self.log = log
        self.queue: queue.Queue[DnsChange] = queue.Queue(MAX_PENDING)
        self.ddns = None
        self.key = None
        self.key_said = -3600.0  # when the log last said the key is missing
        self.key_pause = FIRST_KEY_PAUSE  # doubles up to KEY_PAUSE while the key is missing
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        if self.server is None:
            self.log("DNS updates off (no ddns_server in the configuration)")
            return
        self.ddns = self.client
        self.thread = threading.Thread(target=self.work, name="ddns", daemon=True)
        self.thread.start()

    def put(self, changes: Iterable[DnsChange]) -> None:
        """Never blocks: what does not fit in the queue is dropped with a log line."""
        if self.ddns is None:
            return
        for change in changes:
            try:
                self.queue.put_nowait(change)
            except queue.Full:
                self.log(f"DNS queue full ({MAX_PENDING}): {change.action} {change.hostname} dropped")

    # --- the worker thread --------------------------------------------------------------

    def work(self) -> None:
        pending: list[Pending] = []
        while True:
            try:
                self.turn(pending)
            except Exception as error:  # the worker must outlive any one change
                self.log(f"DNS worker: {error!r}")
                time.sleep(KEY_PAUSE)

    def turn(self, pending: list[Pending]) -> None:
        self.collect(pending)
        if not pending or not self.have_key():
            return
        now = time.monotonic()
        item = next_due(pending, now)
        if item is None:
            return
        error = self.send(item.change)
        if error is None:
            pending.remove(item)
            return
        item.tries += 1
        if item.tries in (1, 4) or item.tries >= MAX_TRIES:
            self.log(f"DNS {item.change.action} {item.change.hostname} {item.change.address}: {error} "
                     f"(try {item.tries} of {MAX_TRIES})")
        if item.tries >= MAX_TRIES:
            pending.remove(item)
        else:
            item.due = now + PAUSES[min(item.tries - 1, len(PAUSES) - 1)]

    def collect(self, pending: list[Pending]) -> None:
        """Take what the server queued; wait for it only as long as nothing is due."""
        now = time.monotonic()
        wait = min((p.due for p in pending), default=now + 3600) - now
        if len(pending) >= MAX_PENDING:  # the queue behind fills, and put() drops
            time.sleep(min(max(wait, 0.001), KEY_PAUSE))
            return
        try:
            pending.append(Pending(self.queue.get(timeout=max(wait, 0.001) if pending else None)))
            while len(pending) < MAX_PENDING:
                pending.append(Pending(self.queue.get_nowait()))
        except queue.Empty:
            pass

    def have_key(self) -> bool:
        if self.key is not None:
            return True
        try:
            self.key = self.ddns.load_key(self.key_path)
            self.key_pause = FIRST_KEY_PAUSE
            return True
        except self.ddns.DdnsError as error:
            if time.monotonic() - self.key_said >= 60:
                self.key_said = time.monotonic()
                self.log(f"DNS updates wait for the TSIG key: {error}")
            time.sleep(self.key_pause)
            self.key_pause = min(KEY_PAUSE, self.key_pause * 2)
            return False

    def send(self, change: DnsChange) -> str | None:
        """None on success, else why not."""
        ddns = self.ddns
        try:
            if change.action == "add":
                ddns.add_host(self.server, change.hostname, str(change.address), self.ttl, self.key,
                              domain=self.domain)
            else:
                ddns.remove_host(self.server, change.hostname, str(change.address), self.key,
                                 domain=self.domain)
        except ddns.DdnsError as error:
            self.key = None  # the dns container may have made a new key: read it again
            return str(error)
        return None


def next_due(pending: list[Pending], now: float) -> Pending | None:
    """The first change that is due and has no earlier change for the same host waiting."""
    waiting: set[str] = set()
    for item in pending:
        if item.due <= now and item.change.hostname not in waiting:
            return item
        waiting.add(item.change.hostname)
    return None
