"""RFC 2136 dynamic UPDATE applied to a zone: prerequisites, prescan, then the changes.

`apply(zones, message, limit)` returns (rcode, new zone or None). It never changes the
zone it is given: the changes go to a copy, which the caller installs only when the
whole update succeeded (an update is atomic, RFC 2136 3.4.2). The copy's SOA serial is
one more. No I/O; who may update (TSIG) is decided before this is called.

Policy beyond the RFC: only A, AAAA, PTR and TXT records may be added or deleted, and
never at a name the configuration fixes (the apex, router, dhcp, dns and their PTRs):
such updates are REFUSED. A zone may not grow beyond `limit` records (REFUSED).
"""
from __future__ import annotations

import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from lanlab.nameserver.zones import IN, Zone, Zones

ANY, NONE = dns.rdataclass.ANY, dns.rdataclass.NONE
ALLOWED = {dns.rdatatype.A, dns.rdatatype.AAAA, dns.rdatatype.PTR, dns.rdatatype.TXT}


def apply(zones: Zones, message, limit: int) -> tuple[int, Zone | None]:
    if len(message.zone) != 1 or message.zone[0].rdclass != IN:
        return dns.rcode.FORMERR, None
    zone = zones.exact(message.zone[0].name)
    if zone is None:
        return dns.rcode.NOTAUTH, None
    rcode = check_prerequisites(zone, message.prerequisite) or prescan(zone, message.update)
    if rcode:
        return rcode, None
    work = zone.copy()
    changed = False
    for rrset in message.update:
        changed |= apply_one(work, rrset)
    if not changed:
        return dns.rcode.NOERROR, None
    if work.record_count() > limit:
        return dns.rcode.REFUSED, None
    work.bump_serial()
    return dns.rcode.NOERROR, work


def check_prerequisites(zone: Zone, prerequisites) -> int:
    """RFC 2136 3.2: 0 when every prerequisite holds, else the rcode saying which failed."""
    wanted: dict[tuple[dns.name.Name, int], set] = {}
    for rrset in prerequisites:
        name, rdtype = rrset.name, rrset.rdtype
        if not zone.contains(name):
            return dns.rcode.NOTZONE
        if len(rrset) and rrset.ttl != 0:
            return dns.rcode.FORMERR
        if rrset.deleting == ANY:
            if rdtype == dns.rdatatype.ANY and zone.node(name) is None:
                return dns.rcode.NXDOMAIN
            if rdtype != dns.rdatatype.ANY and zone.get(name, rdtype) is None:
                return dns.rcode.NXRRSET
        elif rrset.deleting == NONE:
            if rdtype == dns.rdatatype.ANY and zone.node(name) is not None:
                return dns.rcode.YXDOMAIN
            if rdtype != dns.rdatatype.ANY and zone.get(name, rdtype) is not None:
                return dns.rcode.YXRRSET
        elif dns.rdatatype.is_metatype(rdtype):
            return dns.rcode.FORMERR
        else:  # value-dependent: the RRset must exist exactly as given (3.2.3)
            wanted.setdefault((name, rdtype), set()).update(rrset)
    for (name, rdtype), rdatas in wanted.items():
        existing = zone.get(name, rdtype)
        if existing is None or set(existing) != rdatas:
            return dns.rcode.NXRRSET
    return 0


def prescan(zone: Zone, updates) -> int:
    """RFC 2136 3.4.1: refuse the whole update before changing anything."""
    for rrset in updates:
        if not zone.contains(rrset.name):
            return dns.rcode.NOTZONE
        rdtype = rrset.rdtype
        if rrset.deleting is None:
            if dns.rdatatype.is_metatype(rdtype):
                return dns.rcode.FORMERR
        elif rrset.deleting in (ANY, NONE):
            if (len(rrset) and rrset.ttl != 0) or (
                    dns.rdatatype.is_metatype(rdtype) and not (rrset.deleting == ANY and rdtype == dns.rdatatype.ANY)):
                return dns.rcode.FORMERR
        else:
            return dns.rcode.FORMERR
        if rrset.name in zone.fixed:
            return dns.rcode.REFUSED
        if rdtype not in ALLOWED and rdtype != dns.rdatatype.ANY:
            return dns.rcode.REFUSED
    return 0


def apply_one(zone: Zone, rrset) -> bool:
    """One RR of the update section (RFC 2136 3.4.2); True if the zone changed."""
    name = rrset.name.canonicalize()
    if rrset.deleting is None:
        return add(zone, name, rrset)
    if rrset.deleting == ANY:
        before = zone.node(name)
        if before is None or (rrset.rdtype != dns.rdatatype.ANY and rrset.rdtype not in before):
            return False
        zone.delete(name, None if rrset.rdtype == dns.rdatatype.ANY else rrset.rdtype)
        return True
    existing = zone.get(name, rrset.rdtype)
    if existing is None or rrset[0] not in existing:
        return False
    existing.remove(rrset[0])
    if not existing:
        zone.delete(name, rrset.rdtype)
    return True


def add(zone: Zone, name: dns.name.Name, rrset) -> bool:
    existing = zone.get(name, rrset.rdtype)
    if existing is None:
        zone.put(dns.rrset.from_rdata(name, rrset.ttl, rrset[0]))
        return True
    if rrset[0] in existing and existing.ttl == rrset.ttl:
        return False
    existing.add(rrset[0])
    existing.ttl = rrset.ttl  # every RR of an RRset shares the newest TTL (RFC 2181 5.2)
    return True
