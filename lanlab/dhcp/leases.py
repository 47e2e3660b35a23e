"""Durable DHCP leases: an ACK leaves only after its lease is on disk (RFC 2131 4.3.1,
"the server MUST ... commit the binding to persistent storage").

The store is a directory with two files of text lines, one lease state per line:

    snapshot   every lease, written to snapshot.tmp, fsynced and renamed over the old one
    journal    lease changes since the snapshot, appended; one write + fsync per batch

Group commit: the server handles a batch of requests, `commit`s all their lease changes
with one write and one fsync, and only then sends the batch's replies. A crash (kill -9)
at any point loses only changes whose ACKs were never sent. Loading reads the snapshot,
then replays the journal; the last line for an address wins. A torn last line (the crash
came mid-write) is dropped and cut off, so later appends start on a clean line.

    python3 -m lanlab.dhcp.leases DIR     prints the lease table (`make leases`)
"""
from __future__ import annotations

import ipaddress
import os
import sys
import time
from typing import Iterable, NamedTuple

from lanlab.contracts import LEASE_DIR, host_label

BOUND, RELEASED, DECLINED, EXPIRED = "bound", "released", "declined", "expired"
STATES = (BOUND, RELEASED, DECLINED, EXPIRED)
SNAPSHOT, JOURNAL = "snapshot", "journal"


class LeaseError(RuntimeError):
    """The lease directory cannot be read or written; the message says which and why."""


class Lease(NamedTuple):
    """One lease's state (a NamedTuple: immutable, and cheap to make for every ACK)."""
    address: ipaddress.IPv4Address
    client: bytes          # option 61, or htype + hardware address when there is none
    hwaddr: bytes
    hostname: str
    expires: int           # Unix time; for DECLINED, the end of the hold
    state: str = BOUND

    def active(self, now: float) -> bool:
        """Does this record keep its address from everyone else at `now`?"""
        return self.state in (BOUND, DECLINED) and self.expires > now


def to_line(lease: Lease) -> str:
    return "\t".join((lease.state, str(lease.address), lease.client.hex() or "-",
                      lease.hwaddr.hex() or "-", host_label(lease.hostname) or "-",
                      str(lease.expires))) + "\n"


def from_line(line: str) -> Lease:
    """One journal or snapshot line; ValueError if it is not one we wrote."""
    state, address, client, hwaddr, hostname, expires = line.rstrip("\n").split("\t")
    if state not in STATES:
        raise ValueError(f"unknown lease state {state!r}")
    return Lease(ipaddress.IPv4Address(address), bytes.fromhex(client.strip("-")),
                 bytes.fromhex(hwaddr.strip("-")), "" if hostname == "-" else hostname,
                 int(expires), state)


def read_lines(text: str, into: dict) -> int:
    """Apply lines to `into` (address -> Lease); return how many were unreadable."""
    bad = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            lease = from_line(line)
        except ValueError:
            bad += 1
            continue
        into[lease.address] = lease
    return bad


class LeaseStore:
    """The lease directory. Not thread-safe: one server process owns it."""

    def __init__(self, directory: str, compact_every: int = 50_000):
        self.directory = directory
        self.compact_every = compact_every
        self.journal_fd: int | None = None
        self.journal_lines = 0

    def path(self, name: str) -> str:
        return os.path.join(self.directory, name)

    def load(self) -> dict[ipaddress.IPv4Address, Lease]:
        leases: dict[ipaddress.IPv4Address, Lease] = {}
        try:
            os.makedirs(self.directory, exist_ok=True)
            read_lines(read_text(self.path(SNAPSHOT)), leases)
            self.journal_lines = replay_journal(self.path(JOURNAL), leases)
            self.journal_fd = os.open(self.path(JOURNAL), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as error:
            raise LeaseError(f"cannot use the lease directory {self.directory}: {error.strerror}") from None
        return leases

    def commit(self, changes: Iterable[Lease]) -> None:
        """Append every change with one write, then fsync: after this returns they survive
        a crash, so their ACKs may leave."""
        data = "".join(map(to_line, changes)).encode()
        if not data:
            return
        if self.journal_fd is None:
            raise LeaseError("the lease store was not loaded")
        try:
            written = os.write(self.journal_fd, data)
            while written < len(data):
                written += os.write(self.journal_fd, data[written:])
            os.fdatasync(self.journal_fd)
        except OSError as error:
            raise LeaseError(f"cannot write the lease journal: {error.strerror}") from None
        self.journal_lines += data.count(b"\n")

    def wants_compaction(self) -> bool:
        return self.journal_lines >= self.compact_every

    def compact(self, leases: Iterable[Lease]) -> None:
        """Write every lease to a new snapshot (atomically), then start an empty journal."""
        tmp = self.path(SNAPSHOT + ".tmp")
        try:
            with open(tmp, "w", encoding="ascii") as file:
                file.writelines(map(to_line, leases))
                file.flush()
                os.fsync(file.fileno())
            os.replace(tmp, self.path(SNAPSHOT))
            fsync_directory(self.directory)
            os.ftruncate(self.journal_fd, 0)
            os.fsync(self.journal_fd)
        except OSError as error:
            raise LeaseError(f"cannot write the lease snapshot: {error.strerror}") from None
        self.journal_lines = 0

    def close(self) -> None:
        if self.journal_fd is not None:
            os.close(self.journal_fd)
            self.journal_fd = None


def read_text(path: str) -> str:
    try:
        with open(path, encoding="ascii", errors="replace") as file:
            return file.read()
    except FileNotFoundError:
        return ""


def replay_journal(path: str, leases: dict) -> int:
    """Apply the journal; cut off a torn last line (its ACK was never sent)."""
    text = read_text(path)
    complete = text[:text.rfind("\n") + 1]
    if len(complete) != len(text):
        with open(path, "r+b") as file:
            file.truncate(len(complete.encode()))
            os.fsync(file.fileno())
    read_lines(complete, leases)
    return complete.count("\n")


def fsync_directory(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- `make leases` ---------------------------------------------------------------------

def table(leases: Iterable[Lease], now: float) -> str:
    rows = [("address", "host name", "client", "state", "expires")]
    for lease in sorted(leases, key=lambda lease: lease.address):
        state = lease.state if lease.state != BOUND or lease.expires > now else EXPIRED
        left = lease.expires - now
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(lease.expires))
        rows.append((str(lease.address), lease.hostname or "-", client_text(lease.client), state,
                     f"{when} UTC ({int(left)} s)" if left > 0 else when + " UTC"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def client_text(client: bytes) -> str:
    """Type 0 client ids that are text print as text, hardware ones as a MAC."""
    if client[:1] == b"\0" and client[1:].isascii() and client[1:].decode().isprintable():
        return "id:" + client[1:].decode()
    if client[:1] == b"\x01" and len(client) == 7:
        return ":".join(f"{b:02x}" for b in client[1:])
    return client.hex()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    directory = argv[0] if argv else LEASE_DIR
    if not os.path.isdir(directory):
        print(f"leases: no lease directory {directory}", file=sys.stderr)
        return 1
    leases: dict = {}
    read_lines(read_text(os.path.join(directory, SNAPSHOT)), leases)
    read_lines(read_text(os.path.join(directory, JOURNAL)), leases)
    print(table(leases.values(), time.time()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
