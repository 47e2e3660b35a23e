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

Generated labs (`make up SUBNETS=N HOSTS=M`, generated_plan) keep that shape in a /16
given by two octets, the base (LANLAB_BASE, default 10.100):

    svc    BASE.0.0/24                    dhcp .2, dns .3
    lan-S  BASE.S.0/24  for S = 1..N      hosts hS-1 .. hS-M at .11 .. .(10+M)

Host hS-J is host J of subnet S and lives at BASE.S.(10+J): the name says where it is,
h3-7 is 10.100.3.17. Names are digits and hyphens so they are valid DNS labels and
Compose service names, and they run past 26 subnets where letters (host-a1) would not.
Each host's address is also its DHCP reservation (by host name), kept below the pool, so
Docker's address and the lease agree and the pool .100-.199 stays free for visitors.
"""
from __future__ import annotations

import ipaddress
import json
import os
from dataclasses import dataclass, field
from typing import Mapping

from lanlab.contracts import DOMAIN

ROUTER_HOST = 1
DHCP_HOST = 2
DNS_HOST = 3
POOL_FIRST, POOL_LAST = 100, 199
DOCKER_RANGE = "224/28"
BRIDGE_HOST = 254

GENERATED_BASE = "10.100"
HOST_OFFSET = 10          # host J of a generated subnet is .(10 + J)
MAX_HOSTS = 89            # .11 .. .99: below the pool
MAX_SUBNETS = 100         # networks one router container joins; measured, see docs/benchmarks.md
SERVICE_SUBNET = "svc"
PRIVATE = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))

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
    taken: dict = {}
    for host in plan.hosts:
        subnet = plan.subnet(host.subnet)
        if host.reserved is None:
            continue
        if host.reserved not in subnet.network:
            raise PlanError(f"{host.name}'s reserved address {host.reserved} is outside {subnet.network}")
        if host.reserved in (subnet.router, subnet.bridge, subnet.network.network_address,
                             subnet.network.broadcast_address) or host.reserved in taken:
            owner = taken.get(host.reserved, "the router, the bridge or the network itself")
            raise PlanError(f"{host.name}'s reserved address {host.reserved} is already {owner}'s")
        taken[host.reserved] = host.name
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


# --- generated labs -------------------------------------------------------------------

def host_name(subnet: int, host: int) -> str:
    """'h3-7': host 7 of subnet 3 (address BASE.3.17)."""
    return f"h{subnet}-{host}"


def subnet_name(subnet: int) -> str:
    return f"lan-{subnet}"


def base_octets(base: str) -> tuple[int, int]:
    """'10.100' -> (10, 100), or a PlanError naming LANLAB_BASE."""
    parts = base.split(".")
    if len(parts) != 2 or not all(p.isdigit() and int(p) <= 255 for p in parts):
        raise PlanError(f"LANLAB_BASE={base!r} is not two octets such as 10.100")
    return int(parts[0]), int(parts[1])


def generated_plan(subnets: int, hosts: int, base: str = GENERATED_BASE) -> Plan:
    """N subnets of M hosts behind the router, dhcp and dns on svc: see the module docstring."""
    if not 1 <= subnets <= MAX_SUBNETS:
        raise PlanError(f"SUBNETS={subnets}: a lab has 1 to {MAX_SUBNETS} subnets "
                        f"(every one is a network the router joins)")
    if not 1 <= hosts <= MAX_HOSTS:
        raise PlanError(f"HOSTS={hosts}: a subnet holds 1 to {MAX_HOSTS} hosts "
                        f"(.{HOST_OFFSET + 1}-.{HOST_OFFSET + MAX_HOSTS}, below the DHCP pool "
                        f".{POOL_FIRST}-.{POOL_LAST})")
    first, second = base_octets(base)
    block = ipaddress.ip_network(f"{first}.{second}.0.0/16")
    if not any(block.subnet_of(private) for private in PRIVATE):
        raise PlanError(f"LANLAB_BASE={base!r} is not private (10.x, 172.16-31.x, 192.168): "
                        "a lab must not take addresses of the internet")
    net = lambda s: ipaddress.ip_network(f"{first}.{second}.{s}.0/24")
    nets = [Subnet(SERVICE_SUBNET, net(0))]
    nets += [Subnet(subnet_name(s), net(s)) for s in range(1, subnets + 1)]
    members = tuple(
        Host(host_name(s, j), subnet_name(s), net(s).network_address + HOST_OFFSET + j)
        for s in range(1, subnets + 1) for j in range(1, hosts + 1))
    plan = Plan(subnets=tuple(nets), hosts=members,
                extra={"kind": "generated", "base": base, "subnets": str(subnets), "hosts": str(hosts)})
    return check_plan(plan)


def route_collisions(subnets, routes) -> list[str]:
    """The subnets, (name, network) pairs, that overlap a route of the host machine (the
    default route aside): such a lab would be unreachable from its own bridges, or hide a
    real network."""
    clashes = []
    for route in routes:
        route = ipaddress.ip_network(route, strict=False)
        if route.prefixlen == 0:
            continue
        for name, network in subnets:
            if network.overlaps(route):
                clashes.append(f"{name} {network} overlaps {route}")
    return clashes


def check_routes(plan: Plan, routes) -> Plan:
    clashes = route_collisions([(s.name, s.network) for s in plan.subnets], routes)
    if clashes:
        more = f" (and {len(clashes) - 1} more)" if len(clashes) > 1 else ""
        raise PlanError(f"{clashes[0]}, a route of this machine{more}: "
                        "choose free addresses (another LANLAB_BASE, e.g. 10.120)")
    return plan


# --- the plan as a file, for the containers of a generated lab ------------------------

PLAN_VAR = "LANLAB_PLAN"


def plan_to_dict(plan: Plan) -> dict:
    return {
        "domain": plan.domain,
        "service_subnet": plan.service_subnet,
        "subnets": [{"name": s.name, "network": str(s.network)} for s in plan.subnets],
        "hosts": [{"name": h.name, "subnet": h.subnet, "role": h.role,
                   "reserved": str(h.reserved) if h.reserved else None} for h in plan.hosts],
        "extra": dict(plan.extra),
    }


def plan_from_dict(data: Mapping) -> Plan:
    subnets = tuple(Subnet(s["name"], ipaddress.ip_network(s["network"])) for s in data["subnets"])
    hosts = tuple(Host(h["name"], h["subnet"],
                       ipaddress.ip_address(h["reserved"]) if h.get("reserved") else None,
                       h.get("role", "host")) for h in data["hosts"])
    return check_plan(Plan(subnets, hosts, data.get("service_subnet", SERVICE_SUBNET),
                           data.get("domain", DOMAIN), dict(data.get("extra", {}))))


def current_plan(env: Mapping[str, str] | None = None) -> Plan:
    """The plan of the lab this code runs in. Inside a generated lab's containers
    LANLAB_PLAN names a JSON file the generator wrote (mounted read-only); anywhere
    else this is the default plan. Containers that need the plan should ask this."""
    env = os.environ if env is None else env
    path = env.get(PLAN_VAR)
    if path:
        with open(path) as handle:
            return plan_from_dict(json.load(handle))
    return default_plan(env)
