"""Lab files: a lab described in YAML (labs/*.yaml, docs/labs.md), read into frozen data.

    name: two-sites
    domain: lab.internal            # optional
    routing: static                 # static (default) or ospf
    networks:
      lan-a: {subnet: 192.168.7.0/25, kind: switch, pool: 192.168.7.50-192.168.7.99, gateway: r1}
    routers:
      r1: {lan-a: 192.168.7.1, core: 10.255.0.1}
    dhcp: {network: svc, address: 10.0.0.2}
    dns:  {network: svc, address: 10.0.0.3}
    hosts:
      alice: {network: lan-a, address: 192.168.7.20}             # a DHCP reservation
      pc1:   {network: wire, address: 192.168.50.1/24, static: true}
    links:
      lan-b: {delay: 20ms, loss: 1%, rate: 10mbit}

`load(path)` returns a LabFile or raises LabFileError, whose message is one line:
"FILE:LINE: what is wrong; what to do". Everything is checked before anything starts
(YAML syntax, unknown keys with the nearest known one, overlapping subnets, addresses
outside their subnet or given twice, names, hosts that could get no address, networks
the routers cannot reach, too many networks on one router). `check_routes(lab, routes)`
adds the one check that needs this machine: no subnet may overlap one of its routes.

`${VAR}` and `${VAR:-default}` are replaced from the environment first, as compose.yaml
does (labs/default.yaml moves with LANLAB_LAN_A, LANLAB_LAN_B and LANLAB_SVC).

Derived facts (no I/O): `pool(network)` (the file's, or the rule below), `gateway(network)`,
`routes(router)` for `routing: static` (shortest path over the routers, in hops; ties go
to the router and the interface written first), `interface_name(router, network)`
(r1-lan-a: its DNS name).

The pool rule: a network without `pool` leases the addresses whose offset inside the
subnet lies in [100/256, 200/256) of its size, rounded up: .100-.199 in a /24, .50-.99
in a /25, x.y.100.0-x.y.199.255 in a /16; never the network, broadcast or the last
usable address (the host machine's on the bridge). A /30 or smaller has no pool, and
neither has a network where no host asks DHCP for an address (svc, core links).
"""
from __future__ import annotations

import difflib
import ipaddress
import math
import os
import re
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

import yaml

from lanlab import config, contracts, topology

DOMAIN = topology.DOMAIN
ROUTING = ("static", "ospf")
KINDS = ("switch", "hub")
ROLES = ("files",)
SERVICES = ("dhcp", "dns")
MAX_NETWORKS_PER_ROUTER = topology.MAX_SUBNETS
DELAY = re.compile(r"^(\d+(?:\.\d+)?)(us|ms|s)$")
LOSS = re.compile(r"^(\d+(?:\.\d+)?)%$")
RATE = re.compile(r"^(\d+(?:\.\d+)?)(bit|kbit|mbit|gbit)$")

TOP_KEYS = ("name", "domain", "routing", "networks", "routers", "dhcp", "dns", "hosts", "links")
NETWORK_KEYS = ("subnet", "kind", "pool", "gateway")
SERVER_KEYS = ("network", "address")
HOST_KEYS = ("network", "address", "static", "role")
LINK_KEYS = ("delay", "loss", "rate")


class LabFileError(ValueError):
    """A lab file that cannot work; str() is one line: FILE:LINE: what; what to do."""


# --- the model ----------------------------------------------------------------------------
# RouterInterface, Server and Host repeat network, address and line on purpose: each is read its own way.

@dataclass(frozen=True)
class Network:
    name: str
    subnet: ipaddress.IPv4Network
    kind: str = "switch"
    pool: tuple[ipaddress.IPv4Address, ipaddress.IPv4Address] | None = None  # as written
    gateway: str | None = None                                              # as written
    line: int = 0


@dataclass(frozen=True)
class RouterInterface:
    network: str
    address: ipaddress.IPv4Address
    line: int = 0


@dataclass(frozen=True)
class Router:
    name: str
    interfaces: tuple[RouterInterface, ...]
    line: int = 0

    @property
    def networks(self) -> tuple[str, ...]:
        return tuple(i.network for i in self.interfaces)

    def address_on(self, network: str) -> ipaddress.IPv4Address | None:
        for interface in self.interfaces:
            if interface.network == network:
                return interface.address
        return None


@dataclass(frozen=True)
class Server:
    """The DHCP or the DNS server: which network it sits on, at which address."""
    name: str
    network: str
    address: ipaddress.IPv4Address
    line: int = 0


@dataclass(frozen=True)
class Host:
    name: str
    network: str
    address: ipaddress.IPv4Address | None = None   # a reservation, or a static address
    prefixlen: int | None = None                    # static hosts: as written, right or wrong
    static: bool = False
    role: str | None = None
    line: int = 0

    @property
    def interface(self) -> ipaddress.IPv4Interface | None:
        """A static host's address with the prefix length it sets (None otherwise)."""
        if not self.static or self.address is None:
            return None
        return ipaddress.IPv4Interface(f"{self.address}/{self.prefixlen}")


@dataclass(frozen=True)
class Link:
    """Conditions of one network's links, as written (`delay: 20ms, loss: 1%, rate: 10mbit`)."""
    network: str
    delay: str | None = None
    loss: str | None = None
    rate: str | None = None
    line: int = 0

    @property
    def delay_ms(self) -> float | None:
        if self.delay is None:
            return None
        value, unit = DELAY.match(self.delay).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    @property
    def loss_percent(self) -> float | None:
        return None if self.loss is None else float(LOSS.match(self.loss).group(1))

    @property
    def rate_bits(self) -> int | None:
        if self.rate is None:
            return None
        value, unit = RATE.match(self.rate).groups()
        return int(float(value) * {"bit": 1, "kbit": 10**3, "mbit": 10**6, "gbit": 10**9}[unit])


@dataclass(frozen=True)
class Route:
    destination: ipaddress.IPv4Network
    via: ipaddress.IPv4Address
    network: str                      # the destination network's name

    def __str__(self) -> str:
        return f"{self.destination} via {self.via}"


@dataclass(frozen=True)
class LabFile:
    name: str
    networks: tuple[Network, ...]
    routers: tuple[Router, ...] = ()
    hosts: tuple[Host, ...] = ()
    dhcp: Server | None = None
    dns: Server | None = None
    links: tuple[Link, ...] = ()
    domain: str = DOMAIN
    routing: str = "static"
    path: str = "lab.yaml"

    def network(self, name: str) -> Network:
        return named(self.networks, name)

    def router(self, name: str) -> Router:
        return named(self.routers, name)

    def host(self, name: str) -> Host:
        return named(self.hosts, name)

    def routers_on(self, network: str) -> tuple[Router, ...]:
        return tuple(r for r in self.routers if network in r.networks)

    def hosts_on(self, network: str) -> tuple[Host, ...]:
        return tuple(h for h in self.hosts if h.network == network)

    def servers(self) -> tuple[Server, ...]:
        return tuple(s for s in (self.dhcp, self.dns) if s is not None)

    def gateway(self, network: str) -> Router | None:
        """The router hosts on `network` use: `gateway:` if written, else the first router
        on it in the file's order; None on a network with no router."""
        chosen = self.network(network).gateway
        on = self.routers_on(network)
        if chosen is not None:
            return self.router(chosen)
        return on[0] if on else None

    def gateway_address(self, network: str) -> ipaddress.IPv4Address | None:
        router = self.gateway(network)
        return router.address_on(network) if router else None

    def pool(self, network: str) -> tuple[ipaddress.IPv4Address, ipaddress.IPv4Address] | None:
        """The DHCP pool of `network`: as written, or by the rule (None where DHCP does
        not serve the network or the rule leaves nothing)."""
        if not self.dhcp_serves(network):
            return None
        net = self.network(network)
        if net.pool is not None:
            return net.pool
        return derived_pool(net.subnet) if self.dhcp_hosts(network) else None

    def dhcp_hosts(self, network: str) -> tuple[Host, ...]:
        """The hosts on `network` that ask DHCP for their address (all but static ones)."""
        return tuple(h for h in self.hosts_on(network) if not h.static)

    def dhcp_serves(self, network: str) -> bool:
        """DHCP reaches the network: the server is on it, or its gateway relays."""
        if self.dhcp is None:
            return False
        return self.dhcp.network == network or self.gateway(network) is not None and \
            self.connected(network, self.dhcp.network)

    def connected(self, one: str, other: str) -> bool:
        return other in self.reachable_networks(one)

    def reachable_networks(self, start: str) -> set[str]:
        """Networks joined to `start` through routers (itself included)."""
        seen, queue = {start}, deque([start])
        while queue:
            for router in self.routers_on(queue.popleft()):
                for name in router.networks:
                    if name not in seen:
                        seen.add(name)
                        queue.append(name)
        return seen

    def relayed_networks(self, router: str) -> tuple[str, ...]:
        """The networks this router relays DHCP for: those it is the gateway of, that
        the DHCP server is not on, with hosts that ask (a pool or a reservation)."""
        if self.dhcp is None:
            return ()
        return tuple(n for n in self.router(router).networks
                     if n != self.dhcp.network and self.gateway(n).name == router
                     and (self.network(n).pool is not None or self.dhcp_hosts(n)))

    def routes(self, router: str) -> tuple[Route, ...]:
        """`routing: static`: a route to every subnet `router` is not on, via the first
        hop of a shortest path (in routers crossed) to a router that is on it."""
        first_hop = next_hops(self, router)
        routes = []
        for network in self.networks:
            if network.name in self.router(router).networks:
                continue
            best = min((first_hop[r.name] for r in self.routers_on(network.name)
                        if r.name in first_hop), default=None)
            if best is not None:
                routes.append(Route(network.subnet, best[2], network.name))
        return tuple(routes)

    def interface_name(self, router: str, network: str) -> str:
        """The DNS name of a router's interface: r1-lan-a."""
        return f"{router}-{network}"

    def interface_names(self) -> dict[str, ipaddress.IPv4Address]:
        return {self.interface_name(r.name, i.network): i.address
                for r in self.routers for i in r.interfaces}

    def link(self, network: str) -> Link | None:
        for link in self.links:
            if link.network == network:
                return link
        return None


def named(items, name: str):
    """The item called `name` (KeyError if none)."""
    for item in items:
        if item.name == name:
            return item
    raise KeyError(name)


def next_hops(lab: LabFile, start: str) -> dict[str, tuple[int, int, ipaddress.IPv4Address]]:
    """Breadth-first over the routers from `start`: router -> (hops, tie-break order,
    the address of the first router on the way). `start` itself is left out."""
    order = {r.name: i for i, r in enumerate(lab.routers)}
    found: dict[str, tuple[int, int, ipaddress.IPv4Address]] = {}
    queue = deque()
    for interface in lab.router(start).interfaces:
        for neighbour in lab.routers_on(interface.network):
            if neighbour.name != start and neighbour.name not in found:
                found[neighbour.name] = (1, order[neighbour.name], neighbour.address_on(interface.network))
                queue.append(neighbour.name)
    while queue:
        current = queue.popleft()
        hops, _, via = found[current]
        for network in lab.router(current).networks:
            for neighbour in lab.routers_on(network):
                if neighbour.name != start and neighbour.name not in found:
                    found[neighbour.name] = (hops + 1, order[neighbour.name], via)
                    queue.append(neighbour.name)
    return found


def derived_pool(subnet: ipaddress.IPv4Network):
    """[100/256, 200/256) of the subnet, rounded up, inside .1 .. broadcast-2; or None."""
    size = subnet.num_addresses
    first = max(1, math.ceil(size * 100 / 256))
    last = min(size - 3, math.ceil(size * 200 / 256) - 1)
    if first > last:
        return None
    base = subnet.network_address
    return base + first, base + last


def bridge_address(subnet: ipaddress.IPv4Network) -> ipaddress.IPv4Address:
    """The last usable address: the host machine's on the lab's bridge (Docker's gateway)."""
    return subnet.broadcast_address - 1


# --- reading: YAML nodes with their lines ----------------------------------------------------

class Reader:
    """Turns composed YAML nodes into values, each error naming the file and line."""

    def __init__(self, path: str):
        self.path = path

    def fail(self, node_or_line, message: str):
        line = node_or_line if isinstance(node_or_line, int) else node_or_line.start_mark.line + 1
        raise LabFileError(f"{self.path}:{line}: {message}")

    def mapping(self, node, what: str, known: tuple[str, ...] | None = None) -> dict:
        """key -> (key node, value node); unknown keys and keys given twice refused."""
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, f"{what} must be a mapping (key: value)")
        found = {}
        for key_node, value_node in node.value:
            key = self.text(key_node, f"a key of {what}")
            if key in found:
                self.fail(key_node, f"{key!r} is given twice in {what}; keep one")
            if known is not None and key not in known:
                self.unknown(key_node, key, what, known)
            found[key] = (key_node, value_node)
        return found

    def unknown(self, node, key: str, what: str, known: tuple[str, ...]):
        near = difflib.get_close_matches(key, known, n=1, cutoff=0.5)
        hint = f"did you mean {near[0]!r}?" if near else f"known keys: {', '.join(known)}"
        self.fail(node, f"unknown key {key!r} in {what}; {hint}")

    def text(self, node, what: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.value == "" and node.tag.endswith(":null"):
            self.fail(node, f"{what} must be a single value")
        return str(node.value)

    def flag(self, node, what: str) -> bool:
        value = self.text(node, what).lower()
        if value in ("true", "yes", "on"):
            return True
        if value in ("false", "no", "off"):
            return False
        self.fail(node, f"{what} is {value!r}; write true or false")

    def subnet(self, node, what: str) -> ipaddress.IPv4Network:
        value = self.text(node, what)
        try:
            return ipaddress.IPv4Network(value)
        except ValueError as error:
            if "host bits set" in str(error):
                right = ipaddress.IPv4Network(value, strict=False)
                self.fail(node, f"{what} {value} has host bits set; write {right}")
            self.fail(node, f"{what} {value!r} is not an IPv4 subnet; write it like 192.168.7.0/24")

    def address(self, node, what: str) -> ipaddress.IPv4Address:
        value = self.text(node, what)
        try:
            return ipaddress.IPv4Address(value)
        except ValueError:
            self.fail(node, f"{what} {value!r} is not an IPv4 address; write it like 192.168.7.20")

    def label(self, node, name: str, what: str) -> str:
        if not contracts.is_label(name):
            self.fail(node, f"{what} {name!r} is not a DNS label; use lowercase letters, digits "
                            "and '-' (at most 63, no '-' at either end)")
        return name


def compose_yaml(text: str, path: str):
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise LabFileError(f"{path}:{line}: not valid YAML ({problem}); check the indentation "
                           "and the colons on this line") from None
    if node is None:
        raise LabFileError(f"{path}:1: the file is empty; start from labs/default.yaml")
    return node


def substitute_lines(text: str, env: Mapping[str, str], path: str) -> str:
    lines = []
    for number, line in enumerate(text.split("\n"), 1):
        try:
            lines.append(config.substitute(line, env))
        except config.ConfigError as error:
            raise LabFileError(f"{path}:{number}: {error}") from None
    return "\n".join(lines)


def load(path: str | os.PathLike, env: Mapping[str, str] | None = None) -> LabFile:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise LabFileError(f"{path}: cannot read the lab file ({error.strerror}); "
                           "give LAB=path/to/lab.yaml") from None
    return loads(text, str(path), env)


def loads(text: str, path: str = "lab.yaml", env: Mapping[str, str] | None = None) -> LabFile:
    env = os.environ if env is None else env
    root = compose_yaml(substitute_lines(text, env, path), path)
    lab = Parser(Reader(path)).lab(root)
    check(lab, Reader(path))
    return lab


class Parser:
    def __init__(self, reader: Reader):
        self.r = reader

    def lab(self, root) -> LabFile:
        top = self.r.mapping(root, "the lab file", TOP_KEYS)
        for required in ("name", "networks"):
            if required not in top:
                self.r.fail(root, f"the lab file has no {required!r}; add `{required}:` "
                                  "(see labs/default.yaml)")
        name = self.r.label(top["name"][1], self.r.text(top["name"][1], "name"), "the lab's name")
        domain = self.r.text(top["domain"][1], "domain").lower().rstrip(".") if "domain" in top else DOMAIN
        routing = self.choice(top.get("routing"), ROUTING, "routing", "static")
        networks = self.networks(top["networks"][1])
        routers = self.routers(top["routers"][1]) if "routers" in top else ()
        hosts = self.hosts(top["hosts"][1]) if "hosts" in top else ()
        links = self.links(top["links"][1]) if "links" in top else ()
        servers = {key: self.server(key, top[key][1]) for key in SERVICES if key in top}
        return LabFile(name, networks, routers, hosts, servers.get("dhcp"), servers.get("dns"),
                       links, domain, routing, self.r.path)

    def choice(self, pair, allowed: tuple[str, ...], what: str, default: str) -> str:
        if pair is None:
            return default
        value = self.r.text(pair[1], what)
        if value not in allowed:
            near = difflib.get_close_matches(value, allowed, n=1, cutoff=0.5)
            hint = f"did you mean {near[0]!r}?" if near else f"write one of {', '.join(allowed)}"
            self.r.fail(pair[1], f"{what} {value!r} is not known; {hint}")
        return value

    def networks(self, node) -> tuple[Network, ...]:
        networks = []
        for name, (key, value) in self.r.mapping(node, "networks").items():
            self.r.label(key, name, "network name")
            fields = self.r.mapping(value, f"network {name}", NETWORK_KEYS)
            if "subnet" not in fields:
                self.r.fail(value, f"network {name} has no subnet; add `subnet: 192.168.7.0/24`")
            subnet = self.r.subnet(fields["subnet"][1], f"{name}'s subnet")
            kind = self.choice(fields.get("kind"), KINDS, f"{name}'s kind", "switch")
            pool = self.pool(fields["pool"][1], name) if "pool" in fields else None
            gateway = self.r.text(fields["gateway"][1], f"{name}'s gateway") if "gateway" in fields else None
            networks.append(Network(name, subnet, kind, pool, gateway, key.start_mark.line + 1))
        return tuple(networks)

    def pool(self, node, network: str):
        text = self.r.text(node, f"{network}'s pool")
        first, dash, last = text.partition("-")
        if not dash:
            self.r.fail(node, f"{network}'s pool {text!r} is not FIRST-LAST; write it like "
                              "10.0.0.100-10.0.0.150")
        return (self.r.address(yaml.ScalarNode("tag:yaml.org,2002:str", first.strip(), node.start_mark), "pool start"),
                self.r.address(yaml.ScalarNode("tag:yaml.org,2002:str", last.strip(), node.start_mark), "pool end"))

    def routers(self, node) -> tuple[Router, ...]:
        routers = []
        for name, (key, value) in self.r.mapping(node, "routers").items():
            self.r.label(key, name, "router name")
            interfaces = tuple(
                RouterInterface(network, self.r.address(address, f"{name}'s address on {network}"),
                                net_key.start_mark.line + 1)
                for network, (net_key, address) in self.r.mapping(value, f"router {name}").items())
            if not interfaces:
                self.r.fail(value, f"router {name} is on no network; write `{name}: {{lan-a: ADDRESS}}`")
            routers.append(Router(name, interfaces, key.start_mark.line + 1))
        return tuple(routers)

    def server(self, key: str, node) -> Server:
        fields = self.r.mapping(node, key, SERVER_KEYS)
        for required in SERVER_KEYS:
            if required not in fields:
                self.r.fail(node, f"{key} has no {required}; write `{key}: {{network: svc, address: 10.0.0.2}}`")
        return Server(key, self.r.text(fields["network"][1], f"{key}'s network"),
                      self.r.address(fields["address"][1], f"{key}'s address"), node.start_mark.line + 1)

    def hosts(self, node) -> tuple[Host, ...]:
        return tuple(self.host(name, key, value)
                     for name, (key, value) in self.r.mapping(node, "hosts").items())

    def host(self, name: str, key, value) -> Host:
        self.r.label(key, name, "host name")
        fields = self.r.mapping(value, f"host {name}", HOST_KEYS)
        if "network" not in fields:
            self.r.fail(value, f"host {name} has no network; add `network: NAME`")
        network = self.r.text(fields["network"][1], f"{name}'s network")
        static = self.r.flag(fields["static"][1], f"{name}'s static") if "static" in fields else False
        role = self.choice(fields.get("role"), ROLES, f"{name}'s role", None) if "role" in fields else None
        address, prefixlen = None, None
        if "address" in fields:
            address, prefixlen = self.host_address(fields["address"][1], name, static)
        elif static:
            self.r.fail(value, f"static host {name} has no address; add `address: A.B.C.D/LEN`")
        return Host(name, network, address, prefixlen, static, role, key.start_mark.line + 1)

    def host_address(self, node, name: str, static: bool):
        text = self.r.text(node, f"{name}'s address")
        address, slash, length = text.partition("/")
        ip = self.r.address(yaml.ScalarNode("tag:yaml.org,2002:str", address, node.start_mark), f"{name}'s address")
        if not slash:
            return ip, None
        if not static:
            self.r.fail(node, f"{name}'s address {text} has a prefix length, which only a static "
                              f"host sets; write {address} (DHCP gives the mask) or add `static: true`")
        if not length.isdigit() or not 0 <= int(length) <= 32:
            self.r.fail(node, f"{name}'s prefix length {length!r} is not 0-32")
        return ip, int(length)

    def links(self, node) -> tuple[Link, ...]:
        links = []
        for network, (key, value) in self.r.mapping(node, "links").items():
            fields = self.r.mapping(value, f"links of {network}", LINK_KEYS)
            texts = {}
            for field_name, pattern, example in (("delay", DELAY, "20ms"), ("loss", LOSS, "1%"),
                                                 ("rate", RATE, "10mbit")):
                if field_name in fields:
                    text = self.r.text(fields[field_name][1], f"{network}'s {field_name}")
                    if not pattern.match(text):
                        self.r.fail(fields[field_name][1], f"{network}'s {field_name} {text!r} is not "
                                                           f"understood; write it like {example}")
                    texts[field_name] = text
            links.append(Link(network, line=key.start_mark.line + 1, **texts))
        return tuple(links)


# --- checks that look at the whole lab -------------------------------------------------------

def check(lab: LabFile, r: Reader) -> None:
    check_names(lab, r)
    check_subnets(lab, r)
    check_references(lab, r)
    check_addresses(lab, r)
    check_hosts_get_addresses(lab, r)
    check_reachable(lab, r)
    check_router_size(lab, r)


def check_names(lab: LabFile, r: Reader) -> None:
    """Routers, hosts, dhcp and dns are one namespace (Compose services, DNS names), and
    so are the routers' interface names (r1-lan-a)."""
    seen: dict[str, int] = {}
    names = [(s.name, s.line, "the DHCP or DNS server") for s in lab.servers()]
    names += [(x.name, x.line, "a router") for x in lab.routers]
    names += [(h.name, h.line, "a host") for h in lab.hosts]
    for router in lab.routers:
        names += [(lab.interface_name(router.name, i.network), i.line, "a router interface's name")
                  for i in router.interfaces]
    for name, line, what in names:
        if name in seen:
            r.fail(line, f"the name {name!r} is used twice (also on line {seen[name]}); "
                         f"rename {what}")
        if not contracts.is_label(name):
            r.fail(line, f"{name!r} is not a DNS label (at most 63 of a-z, 0-9, '-'); use a shorter name")
        seen[name] = line


def check_subnets(lab: LabFile, r: Reader) -> None:
    for i, network in enumerate(lab.networks):
        for other in lab.networks[:i]:
            if network.subnet.overlaps(other.subnet):
                r.fail(network.line, f"{network.name} {network.subnet} overlaps {other.name} "
                                     f"{other.subnet} (line {other.line}); give each network its own addresses")
        if network.subnet.prefixlen > 30:
            r.fail(network.line, f"{network.name} {network.subnet} has no room for two addresses; "
                                 "use a /30 or larger")


def check_references(lab: LabFile, r: Reader) -> None:
    names = [n.name for n in lab.networks]

    def known(network: str, line: int, what: str) -> None:
        if network not in names:
            near = difflib.get_close_matches(network, names, n=1, cutoff=0.5)
            hint = f"did you mean {near[0]!r}?" if near else f"networks: {', '.join(names)}"
            r.fail(line, f"{what} names the network {network!r}, which is not in networks; {hint}")

    for router in lab.routers:
        for interface in router.interfaces:
            known(interface.network, interface.line, f"router {router.name}")
    for server in lab.servers():
        known(server.network, server.line, server.name)
    for host in lab.hosts:
        known(host.network, host.line, f"host {host.name}")
    for link in lab.links:
        known(link.network, link.line, "links")
    for network in lab.networks:
        if network.gateway is not None and network.name not in \
                [n for x in lab.routers if x.name == network.gateway for n in x.networks]:
            r.fail(network.line, f"{network.name}'s gateway {network.gateway!r} is not a router on "
                                 f"{network.name}; name one of: "
                                 f"{', '.join(x.name for x in lab.routers_on(network.name)) or 'none'}")


def fixed_addresses(lab: LabFile):
    """(address, network, line, what) for every address the file gives."""
    for router in lab.routers:
        for interface in router.interfaces:
            yield interface.address, interface.network, interface.line, f"{router.name}'s address on {interface.network}"
    for server in lab.servers():
        yield server.address, server.network, server.line, f"{server.name}'s address"
    for host in lab.hosts:
        if host.address is not None:
            yield host.address, host.network, host.line, f"{host.name}'s address"


def check_addresses(lab: LabFile, r: Reader) -> None:
    taken: dict = {}
    for address, network_name, line, what in fixed_addresses(lab):
        subnet = lab.network(network_name).subnet
        if address not in subnet:
            r.fail(line, f"{what} {address} is outside {network_name} {subnet}; choose one inside it")
        if address in (subnet.network_address, subnet.broadcast_address):
            r.fail(line, f"{what} {address} is {network_name}'s network or broadcast address; "
                         "choose a host address")
        if address in taken:
            r.fail(line, f"{what} {address} is given twice (also {taken[address]}); choose another")
        if address == bridge_address(subnet) and subnet.prefixlen < 30:
            r.fail(line, f"{what} {address} is the last usable address of {subnet}, which this "
                         "machine takes on the bridge; choose another")
        taken[address] = what
    for network in lab.networks:
        check_pool(lab, network, taken, r)


def check_pool(lab: LabFile, network: Network, taken: dict, r: Reader) -> None:
    if network.pool is not None:
        first, last = network.pool
        if not (first in network.subnet and last in network.subnet and first <= last):
            r.fail(network.line, f"{network.name}'s pool {first}-{last} is not a range inside "
                                 f"{network.subnet}; write FIRST-LAST inside it")
    pool = lab.pool(network.name)
    if pool is None:
        return
    for address, what in taken.items():
        if pool[0] <= address <= pool[1]:
            host_line = next(line for a, _, line, w in fixed_addresses(lab) if a == address)
            r.fail(host_line, f"{what} {address} is inside {network.name}'s DHCP pool "
                              f"{pool[0]}-{pool[1]}; choose one outside it or set `pool:`")


def check_hosts_get_addresses(lab: LabFile, r: Reader) -> None:
    for host in lab.hosts:
        if host.static or lab.dhcp_serves(host.network):
            continue
        if lab.dhcp is None:
            why = "the lab has no dhcp server"
        elif lab.gateway(host.network) is None:
            why = f"{host.network} has no router and no DHCP server"
        else:
            why = f"{host.network} is not joined to {lab.dhcp.network}, where the DHCP server is"
        r.fail(host.line, f"host {host.name} would get no address: {why}; add "
                          "`static: true` and an address A.B.C.D/LEN, or a router and dhcp")
    for host in lab.hosts:
        if not host.static and lab.gateway(host.network) is None:
            r.fail(host.line, f"host {host.name} leases on {host.network}, which has no router to be "
                              "its gateway; put a router on it, or make the host `static: true`")


def check_reachable(lab: LabFile, r: Reader) -> None:
    """Every network with a router is joined to every other one with a router; the DHCP
    and DNS servers sit where the routers reach."""
    routed = [n for n in lab.networks if lab.routers_on(n.name)]
    if routed:
        joined = lab.reachable_networks(routed[0].name)
        for network in routed[1:]:
            if network.name not in joined:
                r.fail(network.line, f"{network.subnet} ({network.name}) cannot be reached from "
                                     f"{routed[0].name}: no chain of routers joins them; put a router "
                                     f"on both sides")
        for server in lab.servers():
            if server.network not in joined:
                r.fail(server.line, f"{server.name} is on {server.network}, which no router joins to the "
                                    "other networks; put it on a routed network")


def check_router_size(lab: LabFile, r: Reader) -> None:
    for router in lab.routers:
        if len(router.interfaces) > MAX_NETWORKS_PER_ROUTER:
            r.fail(router.line, f"router {router.name} is on {len(router.interfaces)} networks; Docker "
                                f"joins one container to at most {MAX_NETWORKS_PER_ROUTER} here "
                                "(docs/scale.md): split it into two routers")


def check_routes(lab: LabFile, routes: Iterable) -> LabFile:
    """Refuse a subnet that overlaps a route of this machine (topology.route_collisions)."""
    for network in lab.networks:
        clashes = topology.route_collisions([(network.name, network.subnet)], routes)
        if clashes:
            raise LabFileError(f"{lab.path}:{network.line}: {clashes[0]}, a route of this machine; "
                               "choose free addresses for it")
    return lab
