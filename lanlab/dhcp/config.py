"""The DHCP server's one configuration file (TOML, dhcp/dhcp.toml), read into frozen data.

The file may name environment variables the way compose.yaml does, `${LANLAB_LAN_A:-192.168.7}`,
so moving a lab's /24 prefixes (lanlab/topology.py) moves the pools and reservations with
them. `render_toml(plan)` writes the same kind of file, with plain addresses, for a
generated lab. The server reads the path in LANLAB_DHCP_CONFIG, by default
/opt/lanlab/dhcp/dhcp.toml.

    [server]   identifier (option 54), dns_servers (6), domain (15), lease_time (51),
               lease_slack (how much longer than promised a lease is recorded as held,
               default lease_time / 2: renewals inside it need no disk write),
               offer_hold, decline_hold (seconds), lease_dir, ddns_* (DNS updates)
    [[subnet]] name, network, router (3), pool = [first, last] (optional: no pool, no leases)
    [[reservation]] address, and hostname (option 12) and/or client_id (option 61, hex)
"""
from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from functools import cached_property
from typing import Mapping

from lanlab import contracts
from lanlab.config import ConfigError, read_file, read_toml

DEFAULT_PATH = "/opt/lanlab/dhcp/dhcp.toml"


@dataclass(frozen=True)
class Subnet:
    name: str
    network: ipaddress.IPv4Network
    router: ipaddress.IPv4Address | None = None
    pool: tuple[ipaddress.IPv4Address, ipaddress.IPv4Address] | None = None

    @cached_property
    def pool_addresses(self) -> range:
        """The pool as a range of integers (first..last inclusive), empty if no pool."""
        if self.pool is None:
            return range(0)
        return range(int(self.pool[0]), int(self.pool[1]) + 1)

    @cached_property
    def addresses(self) -> range:
        """Every address of the network, as integers (membership tests without objects)."""
        return range(int(self.network.network_address), int(self.network.broadcast_address) + 1)


@dataclass(frozen=True)
class Reservation:
    address: ipaddress.IPv4Address
    hostname: str | None = None
    client_id: bytes | None = None


@dataclass(frozen=True)
class Config:
    identifier: ipaddress.IPv4Address
    subnets: tuple[Subnet, ...]
    reservations: tuple[Reservation, ...] = ()
    dns_servers: tuple[ipaddress.IPv4Address, ...] = ()
    domain: str = ""
    lease_time: int = 3600
    lease_slack: int = 1800
    offer_hold: int = 30
    decline_hold: int = 3600
    lease_dir: str = contracts.LEASE_DIR
    ddns_server: ipaddress.IPv4Address | None = None
    ddns_key: str = contracts.KEY_PATH
    ddns_ttl: int = 300

    def subnet_of(self, address: ipaddress.IPv4Address) -> Subnet | None:
        for subnet in self.subnets:
            if address in subnet.network:
                return subnet
        return None


# --- reading ---------------------------------------------------------------------------

def load(path: str | None = None, env: Mapping[str, str] | None = None) -> Config:
    env = os.environ if env is None else env
    path = path or env.get("LANLAB_DHCP_CONFIG") or DEFAULT_PATH
    return loads(read_file(path, "DHCP configuration"), env, path)


def loads(text: str, env: Mapping[str, str] | None = None, where: str = "dhcp.toml") -> Config:
    env = os.environ if env is None else env
    data = read_toml(text, env, where)
    try:
        return check(from_data(data))
    except ConfigError as error:
        raise ConfigError(f"{where}: {error}") from None


def address(value, key: str) -> ipaddress.IPv4Address:
    try:
        return ipaddress.IPv4Address(value)
    except (ValueError, TypeError):
        raise ConfigError(f"{key} = {value!r} is not an IPv4 address") from None


def number(value, key: str, low: int = 1) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ConfigError(f"{key} = {value!r} must be a whole number >= {low}")
    return value


def subnet_from(data: dict) -> Subnet:
    name = str(data.get("name") or "?")
    try:
        network = ipaddress.IPv4Network(data["network"])
    except KeyError:
        raise ConfigError(f"subnet {name} has no network") from None
    except ValueError as error:
        raise ConfigError(f"subnet {name}: network {data['network']!r}: {error}") from None
    router = address(data["router"], f"{name}.router") if "router" in data else None
    pool = data.get("pool")
    if pool is not None:
        if not isinstance(pool, list) or len(pool) != 2:
            raise ConfigError(f"{name}.pool must be [first, last]")
        pool = (address(pool[0], f"{name}.pool"), address(pool[1], f"{name}.pool"))
    return Subnet(name, network, router, pool)


def reservation_from(data: dict) -> Reservation:
    hostname, client_id = data.get("hostname"), data.get("client_id")
    if hostname is None and client_id is None:
        raise ConfigError(f"reservation {data.get('address')} names neither hostname nor client_id")
    try:
        client_id = bytes.fromhex(client_id) if client_id is not None else None
    except ValueError:
        raise ConfigError(f"reservation client_id {client_id!r} is not hex") from None
    return Reservation(address(data.get("address"), "reservation.address"), hostname, client_id)


def from_data(data: dict) -> Config:
    server = data.get("server", {})
    dns = tuple(address(a, "server.dns_servers") for a in server.get("dns_servers", []))
    ddns = server.get("ddns_server")
    lease_time = number(server.get("lease_time", 3600), "server.lease_time", 60)
    return Config(
        identifier=address(server.get("identifier"), "server.identifier"),
        subnets=tuple(subnet_from(s) for s in data.get("subnet", [])),
        reservations=tuple(reservation_from(r) for r in data.get("reservation", [])),
        dns_servers=dns,
        domain=str(server.get("domain", "")),
        lease_time=lease_time,
        lease_slack=number(server.get("lease_slack", lease_time // 2), "server.lease_slack", 0),
        offer_hold=number(server.get("offer_hold", 30), "server.offer_hold"),
        decline_hold=number(server.get("decline_hold", 3600), "server.decline_hold"),
        lease_dir=str(server.get("lease_dir", contracts.LEASE_DIR)),
        ddns_server=address(ddns, "server.ddns_server") if ddns else None,
        ddns_key=str(server.get("ddns_key", contracts.KEY_PATH)),
        ddns_ttl=number(server.get("ddns_ttl", 300), "server.ddns_ttl"),
    )


def check(config: Config) -> Config:
    """Refuse overlapping subnets, pools outside their subnet, stray reservations."""
    if not config.subnets:
        raise ConfigError("no [[subnet]]: the server would have nothing to serve")
    for i, subnet in enumerate(config.subnets):
        for other in config.subnets[:i]:
            if subnet.network.overlaps(other.network):
                raise ConfigError(f"subnets {other.name} and {subnet.name} overlap")
        if subnet.pool and not (subnet.pool[0] in subnet.network and subnet.pool[1] in subnet.network
                                and subnet.pool[0] <= subnet.pool[1]):
            raise ConfigError(f"{subnet.name}.pool {subnet.pool[0]}-{subnet.pool[1]} is not a range "
                              f"inside {subnet.network}")
    for reservation in config.reservations:
        if config.subnet_of(reservation.address) is None:
            raise ConfigError(f"reservation {reservation.address} is in no [[subnet]]")
    addresses = [r.address for r in config.reservations]
    if len(set(addresses)) != len(addresses):
        raise ConfigError("two reservations share one address")
    return config


# --- writing, for generated labs -------------------------------------------------------

def render_toml(plan) -> str:
    """A dhcp.toml for a lanlab.topology.Plan: one subnet per plan subnet (pools on the
    host subnets, .100-.199), reservations from Host.reserved."""
    lines = [
        "# lanlab DHCP server configuration, generated from the lab's address plan.",
        "[server]",
        f'identifier = "{plan.dhcp}"',
        f'dns_servers = ["{plan.dns}"]',
        f'domain = "{plan.domain}"',
        "lease_time = 3600",
        f'ddns_server = "{plan.dns}"',
    ]
    hosts = {s.name for s in plan.host_subnets}
    for subnet in plan.subnets:
        lines += ["", "[[subnet]]", f'name = "{subnet.name}"', f'network = "{subnet.network}"',
                  f'router = "{subnet.router}"']
        if subnet.name in hosts:
            first, last = subnet.pool
            lines.append(f'pool = ["{first}", "{last}"]')
    for host in plan.hosts:
        if host.reserved is not None:
            lines += ["", "[[reservation]]", f'hostname = "{host.name}"', f'address = "{host.reserved}"']
    return "\n".join(lines) + "\n"
