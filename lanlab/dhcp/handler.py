"""The DHCP server's decisions (RFC 2131 section 4.3), with no I/O.

    server = Server(config, leases)          # leases as loaded from the LeaseStore
    outcome = server.handle_packet(data, now)
    store.commit(outcome.changes)            # on disk first (RFC 2131 4.3.1) ...
    send(outcome.replies)                    # ... then the replies
    log(outcome.log); queue(outcome.dns)

The server answers through relays (giaddr names the client's subnet, RFC 2131 4.1) and
keeps these states in memory, rebuilt from the store at start:

    a lease     address -> Lease (bound, released, declined or expired), and
                client -> address, so a client gets its address back (affinity)
    an offer    client -> (address, held until): an OFFERed address waits `offer_hold`
                seconds for its REQUEST; offers are not written to disk

A REQUEST is told apart by its options (RFC 2131 4.3.2): with a server identifier it comes
from SELECTING; with a requested address and no identifier from INIT-REBOOT; with only
ciaddr from RENEWING (unicast) or REBINDING (broadcast). Each is ACKed if the address is
the client's to have, NAKed otherwise. Every request that cannot be answered is dropped
with one log line; nothing in here raises for bad input.
"""
from __future__ import annotations

import ipaddress
from typing import NamedTuple

from lanlab.contracts import DHCP_CLIENT_PORT, DHCP_SERVER_PORT, host_label
from lanlab.dhcp import codec
from lanlab.dhcp.codec import ACK, DECLINE, DISCOVER, INFORM, NAK, OFFER, RELEASE, REQUEST, ZERO
from lanlab.dhcp.config import Config, Reservation, Subnet
from lanlab.dhcp.leases import BOUND, DECLINED, EXPIRED, RELEASED, Lease, client_text

SERVER_PORT, CLIENT_PORT = DHCP_SERVER_PORT, DHCP_CLIENT_PORT
BROADCAST = "255.255.255.255"
ALWAYS_SENT = (1, 3)
ZERO_PACKED = bytes(4)  # mask and router go even to a client whose list (option 55) lacks them


# Immutable records as NamedTuples: several are made for every packet, and a NamedTuple
# is made several times faster than a frozen dataclass.

class Reply(NamedTuple):
    data: bytes
    address: str
    port: int


class DnsChange(NamedTuple):
    action: str  # "add" or "remove"
    hostname: str
    address: ipaddress.IPv4Address


class Outcome(NamedTuple):
    replies: tuple[Reply, ...] = ()
    changes: tuple[Lease, ...] = ()  # to be on disk before the replies leave
    dns: tuple[DnsChange, ...] = ()
    log: str = ""


class Ask(NamedTuple):
    """One request, with who sent it and for which subnet."""
    msg: codec.Message
    kind: int
    client: bytes
    hostname: str
    subnet: Subnet
    reservation: Reservation | None

    @property
    def who(self) -> str:
        name = f" ({self.hostname})" if self.hostname else ""
        return client_text(self.client) + name


def renamed(outcome: Outcome, sent: str, hostname: str) -> Outcome:
    """Say in the log when a client's host name (option 12) is not a DNS label."""
    if not sent or sent == hostname:
        return outcome
    return outcome._replace(log=f"{outcome.log} (host name {sent!r} is not a DNS label: "
                                f"{hostname or 'none'!r} is used)")


def drop(why: str) -> Outcome:
    return Outcome(log=why)


class Server:
    def __init__(self, config: Config, leases: dict | None = None):
        self.config = config
        self.by_address: dict[int, Lease] = {}
        self.by_client: dict[bytes, int] = {}
        self.offers: dict[bytes, tuple[int, float]] = {}
        self.offered: dict[int, bytes] = {}
        self.cursors: dict[str, int] = {}
        self.templates: dict[tuple, bytes] = {}
        self.subnets: dict[ipaddress.IPv4Address, Subnet | None] = {}
        self.names: dict[ipaddress.IPv4Address, str] = {}
        self.own_subnet = config.subnet_of(config.identifier)
        self.reserved = {int(r.address): r for r in config.reservations}
        for lease in (leases or {}).values():
            self.remember(lease)

    # --- the lease table ------------------------------------------------------------

    def remember(self, lease: Lease) -> None:
        address = int(lease.address)
        old = self.by_address.get(address)
        if old is not None and old.client != lease.client and self.by_client.get(old.client) == address:
            del self.by_client[old.client]
        self.by_address[address] = lease
        if lease.state == DECLINED:
            self.by_client.pop(lease.client, None)
        elif lease.client:
            self.by_client[lease.client] = address

    def leases(self) -> list[Lease]:
        return list(self.by_address.values())

    def bound(self, now: float) -> list[Lease]:
        return [lease for lease in self.by_address.values() if lease.state == BOUND and lease.expires > now]

    # --- entry points -----------------------------------------------------------------

    def handle_packet(self, data: bytes, now: float) -> Outcome:
        try:
            return self.handle(codec.parse(data), now)
        except codec.DhcpError as error:
            return drop(f"dropped a malformed packet: {error}")

    def handle(self, msg: codec.Message, now: float) -> Outcome:
        try:
            ask = self.ask(msg)
            if isinstance(ask, Outcome):
                return ask
            return renamed(HANDLERS[ask.kind](self, ask, now), msg.get(12, ""), ask.hostname)
        except codec.DhcpError as error:
            return drop(f"dropped {codec.type_name(msg.message_type)} xid {msg.xid:#x}: {error}")

    def ask(self, msg: codec.Message) -> Ask | Outcome:
        kind = msg.message_type
        if msg.op != codec.OP_REQUEST:
            return drop(f"dropped a BOOTREPLY (op {msg.op}) sent to the server port: only servers send those")
        if kind is None:
            return drop(f"dropped xid {msg.xid:#x}: no DHCP message type (option 53); BOOTP is not served")
        if kind not in HANDLERS:
            return drop(f"dropped xid {msg.xid:#x}: {codec.type_name(kind)} is not a client message")
        client = msg.option(61) or (bytes((msg.htype,)) + msg.hwaddr if msg.hlen else b"")
        if not client:
            return drop(f"dropped {codec.type_name(kind)} xid {msg.xid:#x}: no client identifier and no hardware address")
        subnet = self.subnet_for(msg)
        if subnet is None:
            where = msg.giaddr if msg.giaddr != ZERO else msg.ciaddr
            return drop(f"dropped {codec.type_name(kind)} from {client_text(client)}: {where} is in no subnet served here")
        hostname = host_label(msg.get(12, ""))  # it goes into logs, files and DNS
        return Ask(msg, kind, client, hostname, subnet, self.reservation_for(client, hostname, subnet))

    def subnet_for(self, msg: codec.Message) -> Subnet | None:
        """giaddr (the relay) names the subnet; else ciaddr (a renewing client); else the
        request came straight onto the server's own subnet."""
        if msg.giaddr != ZERO:
            return self.subnet_of(msg.giaddr)
        if msg.ciaddr != ZERO:
            return self.subnet_of(msg.ciaddr)
        return self.own_subnet

    def subnet_of(self, address: ipaddress.IPv4Address) -> Subnet | None:
        """config.subnet_of, remembered (a few relays send everything)."""
        try:
            return self.subnets[address]
        except KeyError:
            if len(self.subnets) > 4096:
                self.subnets.clear()
            subnet = self.subnets[address] = self.config.subnet_of(address)
            return subnet

    def name(self, address: ipaddress.IPv4Address) -> str:
        text = self.names.get(address)
        if text is None:
            if len(self.names) > 4096:
                self.names.clear()
            text = self.names[address] = str(address)
        return text

    def reservation_for(self, client: bytes, hostname: str, subnet: Subnet) -> Reservation | None:
        for reservation in self.config.reservations:
            if reservation.address in subnet.network and matches(reservation, client, hostname):
                return reservation
        return None

    # --- which address may whom have --------------------------------------------------

    def taken_by_other(self, address: int, ask: Ask, now: float) -> bool:
        lease = self.by_address.get(address)
        if lease is not None and lease.active(now) and (lease.client != ask.client or lease.state == DECLINED):
            return True
        holder = self.offered.get(address)
        return holder is not None and holder != ask.client and self.offers[holder][1] > now

    def assignable(self, address: int, ask: Ask, now: float) -> bool:
        if ask.reservation is not None:
            return address == int(ask.reservation.address)
        if address in self.reserved or address not in ask.subnet.pool_addresses:
            return False
        return not self.taken_by_other(address, ask, now)

    def choose(self, ask: Ask, now: float) -> tuple[int | None, str]:
        """The address to offer, and a log line if something is worth saying."""
        if ask.reservation is not None:
            full = self.free_address(ask, now, move=False) is None
            note = f"pool {ask.subnet.name} is full; serving the reservation of {ask.who} anyway" if full else ""
            return int(ask.reservation.address), note
        candidates = [self.by_client.get(ask.client), self.offers.get(ask.client, (None,))[0]]
        requested = ask.msg.get(50)
        if requested is not None:
            candidates.append(int(requested))
        for address in candidates:
            if address is not None and self.assignable(address, ask, now):
                return address, ""
        address = self.free_address(ask, now)
        if address is None:
            size = len(ask.subnet.pool_addresses)
            return None, f"pool {ask.subnet.name} is full ({size} addresses): no offer for {ask.who}"
        return address, ""

    def free_address(self, ask: Ask, now: float, move: bool = True) -> int | None:
        """The next free pool address after the subnet's cursor (wrapping once); the
        cursor moves past it if `move`."""
        pool = ask.subnet.pool_addresses
        if not pool:
            return None
        start = self.cursors.get(ask.subnet.name, pool.start)
        for step in range(len(pool)):
            address = pool.start + (start - pool.start + step) % len(pool)
            if address not in self.reserved and not self.taken_by_other(address, ask, now):
                if move:
                    self.cursors[ask.subnet.name] = address + 1
                return address
        return None

    # --- the messages ---------------------------------------------------------------

    def discover(self, ask: Ask, now: float) -> Outcome:
        if ask.reservation is None and ask.subnet.pool is None:
            return drop(f"no pool on {ask.subnet.name}: nothing to offer {ask.who}")
        address, note = self.choose(ask, now)
        if address is None:
            return drop(note)
        self.hold_offer(ask.client, address, now + self.config.offer_hold)
        return Outcome(replies=(self.reply(ask, OFFER, address),), log=note)

    def request(self, ask: Ask, now: float) -> Outcome:
        msg = ask.msg
        server_id, requested = msg.get(54), msg.get(50)
        if server_id is not None and server_id != self.config.identifier:
            self.drop_offer(ask.client)  # the client chose another server's offer
            return Outcome()
        if requested is not None:
            address, state = requested, "selecting" if server_id is not None else "init-reboot"
        elif msg.ciaddr != ZERO:
            address, state = msg.ciaddr, "renewing" if msg.giaddr == ZERO else "rebinding"
        else:
            return drop(f"dropped REQUEST from {ask.who}: it names no address (no option 50, no ciaddr)")
        if int(address) not in ask.subnet.addresses:
            return self.nak(ask, f"{address} is outside {ask.subnet.name} ({ask.subnet.network})")
        if not self.assignable(int(address), ask, now):
            return self.nak(ask, f"{address} is not {ask.who}'s to have ({state})")
        return self.ack(ask, int(address), now)

    def decline(self, ask: Ask, now: float) -> Outcome:
        address = ask.msg.get(50)
        lease = self.by_address.get(int(address)) if address is not None else None
        if lease is None or lease.client != ask.client or lease.state != BOUND:
            return drop(f"ignored DECLINE of {address} from {ask.who}: not its lease")
        hold = self.config.decline_hold
        declined = Lease(lease.address, lease.client, lease.hwaddr, "", int(now) + hold, DECLINED)
        self.remember(declined)
        dns = (DnsChange("remove", lease.hostname, lease.address),) if lease.hostname else ()
        return Outcome(changes=(declined,), dns=dns,
                       log=f"{address} declined by {ask.who} (in use by someone else?); set aside for {hold} s")

    def release(self, ask: Ask, now: float) -> Outcome:
        server_id = ask.msg.get(54)
        if server_id is not None and server_id != self.config.identifier:
            return Outcome()
        lease = self.by_address.get(int(ask.msg.ciaddr))
        if lease is None or lease.client != ask.client or lease.state != BOUND:
            return drop(f"ignored RELEASE of {ask.msg.ciaddr} from {ask.who}: not its lease")
        released = Lease(lease.address, lease.client, lease.hwaddr, lease.hostname, int(now), RELEASED)
        self.remember(released)
        dns = (DnsChange("remove", lease.hostname, lease.address),) if lease.hostname else ()
        return Outcome(changes=(released,), dns=dns, log=f"{lease.address} released by {ask.who}")

    def inform(self, ask: Ask, now: float) -> Outcome:
        if ask.msg.ciaddr == ZERO:
            return drop(f"dropped INFORM from {ask.who}: no ciaddr to answer to")
        return Outcome(replies=(self.reply(ask, ACK, None, lease=False),))

    def ack(self, ask: Ask, address: int, now: float) -> Outcome:
        """ACK `address` for lease_time. The record says the address is held lease_slack
        longer than promised, so a renewal that the record already covers needs no
        write: every ACK is durable, but not every ACK costs a disk write."""
        before = self.by_address.get(address)
        promised = int(now) + self.config.lease_time
        self.drop_offer(ask.client)
        reply = (self.reply(ask, ACK, address),)
        if not renews(before, ask, now):
            return self.bind(ask, address, before, promised + self.config.lease_slack, now, reply)
        if before.expires >= promised:
            return Outcome(replies=reply)
        lease = before._replace(expires=promised + self.config.lease_slack)
        self.remember(lease)
        return Outcome(replies=reply, changes=(lease,))

    def bind(self, ask: Ask, address: int, before: Lease | None, expires: int, now: float,
             reply: tuple[Reply, ...]) -> Outcome:
        """A new binding (a new client, address or host name): written, told to DNS, logged."""
        lease = Lease(ipaddress.IPv4Address(address), ask.client, ask.msg.hwaddr, ask.hostname, expires, BOUND)
        changes, dns = [], []
        old = self.by_client.get(ask.client)
        if old is not None and old != address and self.by_address[old].state == BOUND:
            moved = self.by_address[old]._replace(expires=int(now), state=RELEASED)
            changes.append(moved)
            if moved.hostname:
                dns.append(DnsChange("remove", moved.hostname, moved.address))
        if before is not None and before.state == BOUND and before.hostname and before.active(now):
            dns.append(DnsChange("remove", before.hostname, before.address))
        if ask.hostname:
            dns.append(DnsChange("add", ask.hostname, lease.address))
        changes.append(lease)
        for change in changes:
            self.remember(change)
        return Outcome(replies=reply, changes=tuple(changes), dns=tuple(dns),
                       log=f"ACK {lease.address} to {ask.who} for {self.config.lease_time} s")

    def nak(self, ask: Ask, why: str) -> Outcome:
        self.drop_offer(ask.client)
        return Outcome(replies=(self.reply(ask, NAK, None, why),), log=f"NAK to {ask.who}: {why}")

    # --- offers -----------------------------------------------------------------------

    def hold_offer(self, client: bytes, address: int, until: float) -> None:
        self.drop_offer(client)
        self.offers[client] = (address, until)
        self.offered[address] = client

    def drop_offer(self, client: bytes) -> None:
        held = self.offers.pop(client, None)
        if held is not None and self.offered.get(held[0]) == client:
            del self.offered[held[0]]

    # --- time passing -----------------------------------------------------------------

    def expire(self, now: float) -> Outcome:
        """Return expired leases and ended declines to the pool; forget stale offers."""
        changes, dns = [], []
        for lease in list(self.by_address.values()):
            if lease.state in (BOUND, DECLINED) and lease.expires <= now:
                declined = lease.state == DECLINED  # a hold that ended belongs to no client
                ended = Lease(lease.address, b"" if declined else lease.client, lease.hwaddr,
                              "" if declined else lease.hostname, lease.expires, EXPIRED)
                self.remember(ended)
                changes.append(ended)
                if lease.state == BOUND and lease.hostname:
                    dns.append(DnsChange("remove", lease.hostname, lease.address))
        for client, (address, until) in list(self.offers.items()):
            if until <= now:
                self.drop_offer(client)
        log = f"{len(changes)} leases expired and went back to their pools" if changes else ""
        return Outcome(changes=tuple(changes), dns=tuple(dns), log=log)

    def dns_now(self, now: float) -> tuple[DnsChange, ...]:
        """A DNS record for every bound lease with a host name (to resync DNS at start)."""
        return tuple(DnsChange("add", lease.hostname, lease.address)
                     for lease in self.bound(now) if lease.hostname)

    # --- replies ----------------------------------------------------------------------

    def reply(self, ask: Ask, kind: int, address: int | None, message: str = "",
              lease: bool = True) -> Reply:
        msg = ask.msg
        options = self.template(ask.subnet, kind, lease, msg.option(55))
        if message:
            options += codec.option_bytes([(56, message.encode("ascii", "replace")[:255])])
        relay_info = msg.option(82)
        if relay_info is not None:
            options += codec.option_bytes([(82, relay_info)])  # RFC 3046 2.2: echoed as is
        flags = msg.flags | (codec.BROADCAST_FLAG if kind == NAK and msg.giaddr != ZERO else 0)
        reply = codec.Message(codec.OP_REPLY, msg.htype, msg.hlen, 0, msg.xid, 0, flags,
                              ciaddr=msg.ciaddr if kind == ACK else ZERO,  # RFC 2131 table 3
                              yiaddr=ZERO if address is None else ipaddress.IPv4Address(address),
                              giaddr=msg.giaddr, chaddr=msg.chaddr)
        destination, port = self.destination(msg, kind)
        return Reply(codec.build(reply, options), destination, port)

    def destination(self, msg: codec.Message, kind: int) -> tuple[str, int]:
        """RFC 2131 4.1: to the relay; else a NAK is broadcast; else to ciaddr; else broadcast."""
        if msg.giaddr != ZERO:
            return self.name(msg.giaddr), SERVER_PORT
        if kind != NAK and msg.ciaddr != ZERO:
            return self.name(msg.ciaddr), CLIENT_PORT
        return BROADCAST, CLIENT_PORT

    def template(self, subnet: Subnet, kind: int, lease: bool, wanted: bytes | None) -> bytes:
        """The reply's options but 56 and 82, encoded once per subnet, type and list."""
        key = (subnet.name, kind, lease, wanted)
        blob = self.templates.get(key)
        if blob is None:
            if len(self.templates) > 1024:
                self.templates.clear()
            blob = codec.option_bytes(self.reply_options(subnet, kind, lease, wanted))
            self.templates[key] = blob
        return blob

    def reply_options(self, subnet: Subnet, kind: int, lease: bool,
                      wanted: bytes | None) -> list[tuple[int, bytes]]:
        config = self.config
        pairs = [(53, bytes((kind,))), (54, config.identifier.packed)]
        if kind == NAK:
            return pairs
        if lease:
            lease = config.lease_time
            pairs += [codec.encode(51, lease), codec.encode(58, lease // 2), codec.encode(59, lease * 7 // 8)]
        offered = [(1, subnet.network.netmask.packed), (28, subnet.network.broadcast_address.packed)]
        if subnet.router is not None:
            offered.append((3, subnet.router.packed))
        if config.dns_servers:
            offered.append(codec.encode(6, config.dns_servers))
        if config.domain:
            offered.append(codec.encode(15, config.domain))
        return pairs + [(code, value) for code, value in offered
                        if wanted is None or code in wanted or code in ALWAYS_SENT]


def renews(before: Lease | None, ask: Ask, now: float) -> bool:
    """Is this ACK the same binding again (same client, name and hardware address)?"""
    return (before is not None and before.state == BOUND and before.expires > now
            and before.client == ask.client and before.hostname == ask.hostname
            and before.hwaddr == ask.msg.hwaddr)


def matches(reservation: Reservation, client: bytes, hostname: str) -> bool:
    if reservation.client_id is not None and reservation.client_id == client:
        return True
    return bool(hostname) and reservation.hostname is not None and reservation.hostname.lower() == hostname.lower()


HANDLERS = {
    DISCOVER: Server.discover,
    REQUEST: Server.request,
    DECLINE: Server.decline,
    RELEASE: Server.release,
    INFORM: Server.inform,
}
