"""The zones in memory: names -> RRsets, the SOA serial, the fixed names (no I/O).

A Zone (RFC 1034 4.2, RFC 1035 5) maps each absolute dns.name.Name to its RRsets by
type. The SOA lives at the apex like any other RRset; `bump_serial` replaces it with one
whose serial is one more (RFC 1982 arithmetic, though a lab never wraps). Names the
configuration fixes (the apex, router, dhcp, dns and their PTRs) are marked `fixed`:
dynamic updates may not touch them. `build_zones(config)` makes the starting zones.
"""
from __future__ import annotations

import ipaddress

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.reversename
import dns.rrset

from lanlab.nameserver.config import Config, reverse_zone

IN = dns.rdataclass.IN
SOA, NS, A, PTR = dns.rdatatype.SOA, dns.rdatatype.NS, dns.rdatatype.A, dns.rdatatype.PTR
REFRESH, RETRY, EXPIRE = 3600, 600, 86400


class Zone:
    def __init__(self, origin: dns.name.Name, primary: dns.name.Name, ttl: int, negative_ttl: int,
                 serial: int = 1):
        self.origin = origin
        self.primary = primary
        self.ttl = ttl
        self.negative_ttl = negative_ttl
        self.nodes: dict[dns.name.Name, dict[int, dns.rrset.RRset]] = {}
        self.fixed: set[dns.name.Name] = {origin}
        self.set_serial(serial)

    # --- the SOA ----------------------------------------------------------------------

    @property
    def serial(self) -> int:
        return self.soa()[0].serial

    def soa(self) -> dns.rrset.RRset:
        return self.nodes[self.origin][SOA]

    def set_serial(self, serial: int) -> None:
        # hostmaster@<domain> even for reverse zones: the primary lives in the domain
        hostmaster = dns.name.Name(("hostmaster",)).concatenate(self.primary.parent())
        text = f"{self.primary} {hostmaster} {serial % 2**32} {REFRESH} {RETRY} {EXPIRE} {self.negative_ttl}"
        self.put(dns.rrset.from_text(self.origin, self.ttl, IN, SOA, text))

    def bump_serial(self) -> None:
        self.set_serial(self.serial + 1 if self.serial + 1 < 2**32 else 1)

    def negative_soa(self) -> dns.rrset.RRset:
        """The SOA for NXDOMAIN and NODATA answers, TTL min(SOA TTL, minimum) (RFC 2308 3)."""
        soa = self.soa()
        return dns.rrset.from_rdata(self.origin, min(soa.ttl, soa[0].minimum), soa[0])

    # --- lookups ----------------------------------------------------------------------

    def contains(self, name: dns.name.Name) -> bool:
        return name.is_subdomain(self.origin)

    def node(self, name: dns.name.Name) -> dict[int, dns.rrset.RRset] | None:
        return self.nodes.get(name)

    def get(self, name: dns.name.Name, rdtype: int) -> dns.rrset.RRset | None:
        node = self.nodes.get(name)
        return node.get(rdtype) if node else None

    def has_below(self, name: dns.name.Name) -> bool:
        """An empty non-terminal: no records at `name`, but some below it (RFC 8020)."""
        return any(other != name and other.is_subdomain(name) for other in self.nodes)

    def record_count(self) -> int:
        return sum(len(rrset) for node in self.nodes.values() for rrset in node.values())

    def rrsets(self):
        """Every RRset, the SOA first, then by name and type (zone files read this way)."""
        yield self.soa()
        for name in sorted(self.nodes):
            node = self.nodes[name]
            for rdtype in sorted(node):
                if rdtype != SOA:
                    yield node[rdtype]

    # --- changes ----------------------------------------------------------------------

    def put(self, rrset: dns.rrset.RRset) -> None:
        self.nodes.setdefault(rrset.name, {})[rrset.rdtype] = rrset

    def delete(self, name: dns.name.Name, rdtype: int | None = None) -> None:
        """Remove one RRset, or every RRset at `name` when rdtype is None."""
        node = self.nodes.get(name)
        if node is None:
            return
        if rdtype is None:
            node.clear()
        else:
            node.pop(rdtype, None)
        if not node:
            del self.nodes[name]

    def copy(self) -> "Zone":
        """A copy whose RRsets may be changed without touching this zone."""
        twin = Zone.__new__(Zone)
        twin.__dict__.update(self.__dict__)
        twin.nodes = {name: {t: r.copy() for t, r in node.items()} for name, node in self.nodes.items()}
        twin.fixed = set(self.fixed)
        return twin


class Zones:
    """Every zone the server is authoritative for, found by the longest matching origin."""

    def __init__(self, zones: list[Zone]):
        self.by_origin = {zone.origin: zone for zone in zones}

    def __iter__(self):
        return iter(list(self.by_origin.values()))

    def find(self, name: dns.name.Name) -> Zone | None:
        for start in range(len(name.labels)):
            zone = self.by_origin.get(dns.name.Name(name.labels[start:]))
            if zone is not None:
                return zone
        return None

    def exact(self, origin: dns.name.Name) -> Zone | None:
        return self.by_origin.get(origin)

    def replace(self, zone: Zone) -> None:
        self.by_origin[zone.origin] = zone


# --- the zones a configuration starts with ----------------------------------------------

def absolute(text: str) -> dns.name.Name:
    return dns.name.from_text(text)


def build_zones(config: Config) -> Zones:
    domain = absolute(config.domain)
    primary = dns.name.Name((config.nameserver,)).concatenate(domain)
    forward = Zone(domain, primary, config.ttl, config.negative_ttl)
    reverse = [Zone(absolute(reverse_zone(s.network)), primary, config.ttl, config.negative_ttl)
               for s in config.subnets]
    zones = Zones([forward, *reverse])
    for zone in zones:
        zone.put(dns.rrset.from_text(zone.origin, config.ttl, IN, NS, str(primary)))
    for name, addresses in config.fixed_names().items():
        owner = dns.name.Name((name,)).concatenate(domain)
        add_fixed(forward, dns.rrset.from_text_list(owner, config.ttl, IN, A, [str(a) for a in addresses]))
    for address, name in config.ptr_targets().items():
        add_ptr(zones, config, address, dns.name.Name((name,)).concatenate(domain))
    return zones


def add_fixed(zone: Zone, rrset: dns.rrset.RRset) -> None:
    zone.put(rrset)
    zone.fixed.add(rrset.name)


def add_ptr(zones: Zones, config: Config, address: ipaddress.IPv4Address, target: dns.name.Name) -> None:
    owner = dns.reversename.from_address(str(address))
    zone = zones.find(owner)
    if zone is not None:  # an address outside every subnet has no reverse zone here
        add_fixed(zone, dns.rrset.from_text(owner, config.ttl, IN, PTR, str(target)))
