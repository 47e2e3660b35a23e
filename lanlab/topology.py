"""The lab's address plan: subnets, the router, the services and the hosts.

One plan describes a lab. Everything that needs an address asks the plan: the lab
tests, the status table, the DHCP pools and the generated compose files. The default
plan is the one compose.yaml spells out by hand:

    lan-a  192.168.7.0/24   router .1   alice .20 (reserved), bob
    lan-b  192.168.13.0/24  router .1   carol .18 (reserved), files
    svc    10.0.0.0/24      router .1   dhcp .2, dns .3

Within every /24 the plan keeps the same shape, so a reader can guess any address:

    .1        the router, every host's default gateway
    .2 .3     dhcp and dns (svc only)
    .100-.199 the DHCP pool
    .224-.239 the range Docker hands out before DHCP runs (ip_range)
    .254      the host machine's own address on the bridge (Docker's "gateway")

The three /24 prefixes may be moved with LANLAB_LAN_A, LANLAB_LAN_B and LANLAB_SVC
(three octets each, e.g. LANLAB_LAN_A=172.30.7), the same variables compose.yaml reads;
that lets two labs share one Docker engine. The host numbers never move.
"""
from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from typing import Mapping

DOMAIN = "lab.internal"

ROUTER_HOST = 1
DHCP_HOST = 2
DNS_HOST = 3
POOL_FIRST, POOL_LAST = 100, 199
DOCKER_RANGE = "224/28"
BRIDGE_HOST = 254

DEFAULT_PREFIXES = {"lan-a": "192.168.7", "lan-b": "192.168.13", "svc": "10.0.0"}
PREFIX_VARS = {"lan-a": "LANLAB_LAN_A", "lan-b": "LANLAB_LAN_B", "svc": "LANLAB_SVC"}


class PlanError(ValueError):
    """An address plan that cannot work; the message says why in one line."""


@dataclass(frozen=True)
class Subnet:
    name: str
    network: ipaddress.IPv4Network

    def host(self, number: int) -> ipaddress.IPv4Address:
        return self.network.network_address + number

    @property
    def router(self) -> ipaddress.IPv4Address:
        return self.host(ROUTER_HOST)

    @property
    def bridge(self) -> ipaddress.IPv4Address:
        """The host machine's address on this bridge (Docker calls it the gateway)."""
        return self.host(BRIDGE_HOST)

    @property
    def docker_range(self) -> ipaddress.IPv4Network:
        base, length = DOCKER_RANGE.split("/")
        return ipaddress.ip_network(f"{self.host(int(base))}/{length}")

    @property
    def pool(self) -> tuple[ipaddress.IPv4Address, ipaddress.IPv4Address]:
        return self.host(POOL_FIRST), self.host(POOL_LAST)

    @property
    def prefix(self) -> str:
        """The first three octets, as compose.yaml's variables hold them."""
        return str(self.network.network_address).rsplit(".", 1)[0]


@dataclass(frozen=True)
class Host:
    name: str
    subnet: str
    reserved: ipaddress.IPv4Address | None = None
    role: str = "host"


@dataclass(frozen=True)
class Plan:
    subnets: tuple[Subnet, ...]
    hosts: tuple[Host, ...]
    service_subnet: str = "svc"
    domain: str = DOMAIN
    extra: Mapping[str, str] = field(default_factory=dict)

    def subnet(self, name: str) -> Subnet:
        for subnet in self.subnets:
            if subnet.name == name:
                return subnet
        raise PlanError(f"no subnet named {name!r} in the plan")

    def host(self, name: str) -> Host:
        for host in self.hosts:
            if host.name == name:
                return host
        raise PlanError(f"no host named {name!r} in the plan")

    @property
    def svc(self) -> Subnet:
        return self.subnet(self.service_subnet)

    @property
    def dhcp(self) -> ipaddress.IPv4Address:
        return self.svc.host(DHCP_HOST)

    @property
    def dns(self) -> ipaddress.IPv4Address:
        return self.svc.host(DNS_HOST)

    @property
    def host_subnets(self) -> tuple[Subnet, ...]:
        return tuple(s for s in self.subnets if s.name != self.service_subnet)

    def gateway_of(self, host: Host) -> ipaddress.IPv4Address:
        return self.subnet(host.subnet).router

    def subnet_of(self, address: ipaddress.IPv4Address | str) -> Subnet | None:
        address = ipaddress.ip_address(address)
        for subnet in self.subnets:
            if address in subnet.network:
                return subnet
        return None


def prefix_network(prefix: str, name: str) -> ipaddress.IPv4Network:
    """'192.168.7' -> 192.168.7.0/24, or a PlanError naming the variable."""
    parts = prefix.split(".")
    try:
        if len(parts) != 3:
            raise ValueError
        return ipaddress.ip_network(f"{prefix}.0/24")
    except ValueError:
        raise PlanError(
            f"{PREFIX_VARS.get(name, name)}={prefix!r} is not three octets such as 192.168.7"
        ) from None


def check_plan(plan: Plan) -> Plan:
    """Refuse overlapping subnets and reservations outside their subnet."""
    seen: list[Subnet] = []
    for subnet in plan.subnets:
        for other in seen:
            if subnet.network.overlaps(other.network):
                raise PlanError(f"subnets {other.name} and {subnet.name} overlap ({subnet.network})")
        seen.append(subnet)
    names = [h.name for h in plan.hosts]
    if len(set(names)) != len(names):
        raise PlanError("host names must be unique")
    for host in plan.hosts:
        subnet = plan.subnet(host.subnet)
        if host.reserved is not None and host.reserved not in subnet.network:
            raise PlanError(f"{host.name}'s reserved address {host.reserved} is outside {subnet.network}")
    return plan


def default_plan(env: Mapping[str, str] | None = None) -> Plan:
    """The default lab, with the /24 prefixes taken from the environment if set."""
    env = os.environ if env is None else env
    nets = {
        name: Subnet(name, prefix_network(env.get(PREFIX_VARS[name]) or default, name))
        for name, default in DEFAULT_PREFIXES.items()
    }
    a, b = nets["lan-a"], nets["lan-b"]
    hosts = (
        Host("alice", "lan-a", a.host(20)),
        Host("bob", "lan-a"),
        Host("carol", "lan-b", b.host(18)),
        Host("files", "lan-b", role="files"),
    )
    return check_plan(Plan(subnets=(a, b, nets["svc"]), hosts=hosts))


SERVICES = ("router", "dhcp", "dns")
