"""What the DNS server serves: the configuration file, read and rendered (no I/O).

The file is TOML (dns/lab.toml is the default; env LANLAB_DNS_CONFIG names another).
Before parsing, `${VAR:-default}` is replaced from the environment exactly as Compose
does in compose.yaml, so the default file follows LANLAB_LAN_A, LANLAB_LAN_B and
LANLAB_SVC. `render_config(plan)` writes the same format with literal addresses for any
lanlab.topology.Plan (the scale helper's N subnets).

Names the configuration fixes (updates may not change them):

    router              one A per subnet: every address of the router. Any of them
                        reaches it, since it is every host's gateway.
    router-<subnet>     one A each (router-lan-a = 192.168.7.1), and the PTR target of
                        that address, so traceroute shows which interface a packet crossed.
    dhcp, dns, ...      the [hosts] table: an A each and the PTR of each address.

Zones: the domain (lab.internal) and one reverse zone per subnet
(192.168.7.0/24 -> 7.168.192.in-addr.arpa; any length: see reverse_zone); `nameserver`
is their NS and SOA primary. A [[subnet]] without `router` only makes its reverse zone
(lab files name their routers' interfaces in [hosts]: r1-lan-a).
"""
from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from typing import Mapping

from lanlab.config import ConfigError, read_file, read_toml
from lanlab import contracts
from lanlab.contracts import is_label

DEFAULT_RECORDS = contracts.RECORDS_DIR
DEFAULT_KEY = contracts.KEY_PATH


@dataclass(frozen=True)
class SubnetConf:
    name: str
    network: ipaddress.IPv4Network
    router: ipaddress.IPv4Address | None = None


@dataclass(frozen=True)
class Config:
    domain: str
    nameserver: str
    ttl: int
    negative_ttl: int
    subnets: tuple[SubnetConf, ...]
    hosts: tuple[tuple[str, tuple[ipaddress.IPv4Address, ...]], ...]
    listen: str = "0.0.0.0"
    port: int = contracts.DNS_PORT
    records: str = DEFAULT_RECORDS
    key: str = DEFAULT_KEY
    max_records: int = 10000

    def fixed_names(self) -> dict[str, tuple[ipaddress.IPv4Address, ...]]:
        """Every name the configuration fixes, relative to the domain -> its addresses."""
        routed = [s for s in self.subnets if s.router is not None]
        names = {"router": tuple(s.router for s in routed)} if routed else {}
        names.update({f"router-{s.name}": (s.router,) for s in routed})
        names.update(dict(self.hosts))
        return names

    def ptr_targets(self) -> dict[ipaddress.IPv4Address, str]:
        """address -> the one name its PTR record gives (router-<subnet> for the router)."""
        targets = {}
        for name, addresses in self.hosts:
            for address in addresses:
                targets.setdefault(address, name)
        for subnet in self.subnets:
            if subnet.router is not None:
                targets[subnet.router] = f"router-{subnet.name}"
        return targets


def load_config(path, env: Mapping[str, str] | None = None) -> Config:
    return parse_config(read_file(path, "DNS configuration"), env, source=str(path))


def parse_config(text: str, env: Mapping[str, str] | None = None, source: str = "config") -> Config:
    env = os.environ if env is None else env
    data = read_toml(text, env, source)
    try:
        return check(build(data))
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, ConfigError):
            raise ConfigError(f"{source}: {error}") from None
        raise ConfigError(f"{source}: bad or missing setting ({error!r})") from None


def build(data: dict) -> Config:
    server = data.get("server", {})
    subnets = tuple(
        SubnetConf(s["name"], ipaddress.IPv4Network(s["network"]),
                   ipaddress.IPv4Address(s["router"]) if "router" in s else None)
        for s in data.get("subnet", [])
    )
    hosts = tuple(
        (name, tuple(ipaddress.IPv4Address(a) for a in ([value] if isinstance(value, str) else value)))
        for name, value in data.get("hosts", {}).items()
    )
    return Config(
        domain=str(data["domain"]).lower().rstrip("."),
        nameserver=str(data["nameserver"]).lower(),
        ttl=int(data.get("ttl", 300)),
        negative_ttl=int(data.get("negative_ttl", 60)),
        subnets=subnets,
        hosts=hosts,
        listen=str(server.get("listen", "0.0.0.0")),
        port=int(server.get("port", contracts.DNS_PORT)),
        records=str(server.get("records", DEFAULT_RECORDS)),
        key=str(server.get("key", DEFAULT_KEY)),
        max_records=int(server.get("max_records", 10000)),
    )


def check(config: Config) -> Config:
    if not config.subnets:
        raise ConfigError("no [[subnet]]: the server needs at least one reverse zone")
    for subnet in config.subnets:
        if subnet.network.prefixlen < 8:
            raise ConfigError(f"subnet {subnet.name}: {subnet.network} is wider than /8 (reverse zones follow octets)")
        if subnet.router is not None and subnet.router not in subnet.network:
            raise ConfigError(f"subnet {subnet.name}: router {subnet.router} is outside {subnet.network}")
    for name in config.fixed_names():
        if not is_label(name):
            raise ConfigError(f"{name!r} is not a host name (letters, digits, '-', at most 63)")
    if config.nameserver not in config.fixed_names():
        raise ConfigError(f"nameserver {config.nameserver!r} needs an address in [hosts]")
    if not (0 < config.ttl < 2**31 and 0 <= config.negative_ttl < 2**31):
        raise ConfigError("ttl and negative_ttl must be positive 32-bit numbers")
    return config


def reverse_zone(network: ipaddress.IPv4Network) -> str:
    """192.168.7.0/24 -> '7.168.192.in-addr.arpa' (RFC 1035 3.5). A subnet whose length is
    not a whole number of octets gets the zone of the octets it fixes: 192.168.7.0/25 ->
    7.168.192.in-addr.arpa, 10.25.16.0/20 -> 25.10.in-addr.arpa (no RFC 2317 delegation:
    this server is authoritative for every zone of the lab; subnets sharing one such zone
    share it)."""
    octets = str(network.network_address).split(".")[: network.prefixlen // 8]
    return ".".join(reversed(octets)) + ".in-addr.arpa"


# --- rendering -------------------------------------------------------------------------

HEADER = """\
# The lanlab DNS server's configuration (lanlab/nameserver/config.py explains it).
# Rendered by lanlab.nameserver.config.render_config from the lab's address plan.
"""


def render_config(plan, *, records: str = DEFAULT_RECORDS, key: str = DEFAULT_KEY) -> str:
    """The configuration for a lanlab.topology.Plan: one reverse zone per subnet,
    the router on each, dhcp and dns on the service subnet."""
    lines = [HEADER]
    lines += [f'domain = "{plan.domain}"', 'nameserver = "dns"', "ttl = 300", "negative_ttl = 60", ""]
    lines += ["[server]", 'listen = "0.0.0.0"', "port = 53",
              f'records = "{records}"', f'key = "{key}"', "max_records = 10000", ""]
    for subnet in plan.subnets:
        lines += ["[[subnet]]", f'name = "{subnet.name}"', f'network = "{subnet.network}"',
                  f'router = "{subnet.router}"', ""]
    lines += ["[hosts]", f'dhcp = "{plan.dhcp}"', f'dns = "{plan.dns}"', ""]
    return "\n".join(lines)
