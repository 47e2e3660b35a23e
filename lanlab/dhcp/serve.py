"""The DHCP server program: a UDP socket on port 67 around lanlab.dhcp.server.

    python3 -m lanlab.dhcp.serve [--config FILE] [--leases DIR] [--no-ddns] [--bind ADDR]

Each turn of the loop takes every waiting request (up to a batch), lets the server
decide, writes all the batch's lease changes with one write and one fsync (group commit),
and only then sends the replies: no ACK leaves before its lease is on disk. Once a
second it returns expired leases to the pools. Bad packets cost one log line each (at
most 100 lines a second); an error in one packet never stops the loop.
"""
from __future__ import annotations

import argparse
import select
import sys
import time
from typing import Callable

from lanlab.dhcp import config as configuration
from lanlab.dhcp.dnsq import DnsQueue
from lanlab.dhcp.leases import LeaseError, LeaseStore
from lanlab.dhcp.server import Outcome, Server
from lanlab.dhcp.sockets import Log, receive_batch, send, udp_socket

TICK = 1.0


def handle(server: Server, data: bytes, source: tuple, now: float, log: Log) -> Outcome:
    try:
        outcome = server.handle_packet(data, now)
    except Exception as error:  # a bug must cost one packet, not the server
        log(f"internal error on a packet from {source[0]}: {error!r}")
        return Outcome()
    if outcome.log:
        log(f"{outcome.log} [from {source[0]}]")
    return outcome


def finish(outcomes: list[Outcome], sock, store: LeaseStore, dns: DnsQueue, log: Log) -> None:
    """Durable first, then the replies, then DNS (which never holds DHCP up)."""
    changes = [change for outcome in outcomes for change in outcome.changes]
    try:
        store.commit(changes)
    except LeaseError as error:
        log(f"{error}: the replies of {len(outcomes)} requests are not sent")
        outcomes = [outcome for outcome in outcomes if not outcome.changes]
    for outcome in outcomes:
        for reply in outcome.replies:
            log(send(sock, reply.data, reply.address, reply.port))
        dns.put(outcome.dns)


def run(sock, server: Server, store: LeaseStore, dns: DnsQueue, log: Log,
        stop: Callable[[], bool] = lambda: False) -> None:
    next_tick = 0.0
    while not stop():
        select.select([sock], [], [], TICK)
        now = time.time()
        outcomes = [handle(server, data, source, now, log) for data, source in receive_batch(sock)]
        if now >= next_tick:
            next_tick = now + TICK
            outcomes.append(server.expire(now))
            log(outcomes[-1].log)
        finish(outcomes, sock, store, dns, log)
        if store.wants_compaction():
            compact(server, store, log)


def compact(server: Server, store: LeaseStore, log: Log) -> None:
    try:
        store.compact(server.leases())
    except LeaseError as error:
        log(str(error))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="lanlab.dhcp.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="the TOML file (default: $LANLAB_DHCP_CONFIG or dhcp/dhcp.toml)")
    parser.add_argument("--leases", help="the lease directory (default: lease_dir in the file)")
    parser.add_argument("--bind", default="", help="the address to listen on (default: all)")
    parser.add_argument("--no-ddns", action="store_true", help="do not send DNS updates")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, ready: Callable[[], None] = lambda: None) -> int:
    args = parse_args(argv)
    log = Log("lanlab[dhcp]")
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
                   config.ddns_key, config.ddns_ttl, log)
    dns.start()
    dns.put(server.dns_now(now))
    ready()
    run(sock, server, store, dns, log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
