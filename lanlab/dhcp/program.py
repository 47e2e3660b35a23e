"""The DHCP server program: a UDP socket on port 67 around lanlab.dhcp.handler.

    python3 -m lanlab.dhcp.program [--config FILE] [--leases DIR] [--no-ddns] [--bind ADDR]

Two threads, so that waiting for the disk never stops the server from listening:

    the loop       takes every waiting request (up to a batch), lets the server decide,
                   and hands the outcomes to the committer (when only one or two
                   requests were waiting, it sends the replies that need no write itself:
                   waking a thread per OFFER would double the CPU time of a lone
                   exchange); once a second it returns expired leases to the pools
    the committer  group commit: takes everything handed over since its last turn,
                   writes all the lease changes with one write and one fsync, and only
                   then sends the replies (OFFERs and NAKs need no write, but go the same
                   way); while it waits for the disk the next group gathers

So no ACK leaves before its lease is on disk, and under load one fsync covers many
ACKs. Receiving and sending happen in different threads, which the GIL lets run at
once (both spend their time in system calls): on two cores that doubles the highest
rate against one thread doing both (docs/dhcp.md). A zero-length datagram is lanlab's
path probe (lanlab/dhcp/probe.py), not DHCP: it is answered with a zero-length datagram.
Bad packets cost one log line each (at most 100 lines a second); an error in one packet
never stops the loop.
"""
from __future__ import annotations

import argparse
import sys
import threading
import time
from typing import Callable

from lanlab.dhcp import config as configuration
from lanlab.dhcp import ddns
from lanlab.dhcp import probe
from lanlab.dhcp.dnsq import DnsQueue
from lanlab.dhcp.leases import LeaseError, LeaseStore
from lanlab.dhcp.handler import Outcome, Server
from lanlab.dhcp.sockets import receive_batch, send, udp_socket, wait_at_most
from lanlab.ratelog import RateLog

TICK = 1.0
QUIET = 2  # a batch this small is sent by the loop itself: no thread to wake per OFFER


def handle(server: Server, data: bytes, source: tuple, now: float, log: RateLog) -> Outcome:
    try:
        outcome = server.handle_packet(data, now)
    except Exception as error:  # a bug must cost one packet, not the server
        log(f"internal error on a packet from {source[0]}: {error!r}")
        return Outcome()
    if outcome.log:
        log(f"{outcome.log} [from {source[0]}]")
    return outcome


def send_replies(sock, outcomes, dns: DnsQueue, log: RateLog) -> None:
    for outcome in outcomes:
        for reply in outcome.replies:
            log(send(sock, reply.data, reply.address, reply.port))
        if outcome.dns:
            dns.put(outcome.dns)


class Committer:
    """Durable first, then the replies, then DNS (which never holds DHCP up)."""

    def __init__(self, sock, server: Server, store: LeaseStore, dns: DnsQueue, log: RateLog):
        self.sock, self.server, self.store, self.dns, self.log = sock, server, store, dns, log
        self.pending: list[Outcome] = []
        self.ready = threading.Condition()
        self.thread = threading.Thread(target=self.run, name="commit", daemon=True)

    def start(self) -> "Committer":
        self.thread.start()
        return self

    def submit(self, outcomes: list[Outcome]) -> None:
        if not outcomes:
            return
        with self.ready:
            self.pending.extend(outcomes)
            self.ready.notify()

    def take(self) -> list[Outcome]:
        with self.ready:
            while not self.pending:
                self.ready.wait()
            group, self.pending = self.pending, []
            return group

    def run(self) -> None:
        while True:
            group = self.take()
            try:
                self.commit(group)
            except Exception as error:  # the committer must outlive any one group
                self.log(f"internal error committing {len(group)} lease changes: {error!r}")

    def commit(self, group: list[Outcome]) -> None:
        changes = [change for outcome in group for change in outcome.changes]
        if changes:
            try:
                self.store.commit(changes)
            except LeaseError as error:
                unsent = [outcome for outcome in group if outcome.changes]
                self.log(f"{error}: {len(unsent)} ACKs are not sent")
                group = [outcome for outcome in group if not outcome.changes]
        send_replies(self.sock, group, self.dns, self.log)
        if self.store.wants_compaction():
            try:
                self.store.compact(self.server.leases())
            except LeaseError as error:
                self.log(str(error))


def run(sock, server: Server, committer: Committer, dns: DnsQueue, log: RateLog,
        stop: Callable[[], bool] = lambda: False) -> None:
    next_tick = 0.0
    wait_at_most(sock, TICK)
    while not stop():
        batch = receive_batch(sock)
        now = time.time()
        outcomes = []
        for data, source in batch:
            if probe.is_probe(data):  # lanlab's path probe (lanlab/dhcp/probe.py): answer it
                log(send(sock, b"", source[0], source[1]))
                continue
            outcomes.append(handle(server, data, source, now, log))
        if now >= next_tick:
            next_tick = now + TICK
            outcomes.append(server.expire(now))
            log(outcomes[-1].log)
        if len(batch) <= QUIET:  # a quiet moment: answer what needs no write at once
            send_replies(sock, [o for o in outcomes if not o.changes], dns, log)
            outcomes = [o for o in outcomes if o.changes]
        committer.submit([outcome for outcome in outcomes if outcome.replies or outcome.changes or outcome.dns])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="lanlab.dhcp.program", description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="the TOML file (default: $LANLAB_DHCP_CONFIG or dhcp/dhcp.toml)")
    parser.add_argument("--leases", help="the lease directory (default: lease_dir in the file)")
    parser.add_argument("--bind", default="", help="the address to listen on (default: all)")
    parser.add_argument("--no-ddns", action="store_true", help="do not send DNS updates")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, ready: Callable[[], None] = lambda: None) -> int:
    args = parse_args(argv)
    log = RateLog("lanlab[dhcp]")
    try:
        config = configuration.load(args.config)
        store = LeaseStore(args.leases or config.lease_dir)
        server = Server(config, store.load())
        sock = udp_socket(67, address=args.bind)
    except (configuration.ConfigError, LeaseError, OSError) as error:
        log(f"error: {error}")
        return 1
    now = time.time()
    subnets = ", ".join(f"{s.name} {s.pool[0]}-{s.pool[1]}" for s in config.subnets if s.pool)
    log(f"serving {subnets} as {config.identifier}; {len(server.bound(now))} leases loaded "
        f"from {store.directory}")
    dns = DnsQueue(None if args.no_ddns or config.ddns_server is None else str(config.ddns_server),
                   config.ddns_key, config.ddns_ttl, log, domain=config.domain or ddns.DOMAIN)
    dns.start()
    dns.put(server.dns_now(now))
    committer = Committer(sock, server, store, dns, log).start()
    ready()
    run(sock, server, committer, dns, log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
