"""Zones on disk: one master file (RFC 1035 5) per zone, rewritten after every change.

/var/lib/lanlab/dns/lab.internal.zone, /var/lib/lanlab/dns/7.168.192.in-addr.arpa.zone...
are ordinary zone files a student can read (and BIND could load). At start the server
builds the zones from its configuration, then takes from each file the SOA serial and
every record at a name the configuration does not fix: the configuration wins for the
fixed names, the file keeps what updates added. If that changes a zone (the
configuration moved), its serial grows. Files are replaced atomically (write, fsync,
rename), so a crash leaves the old file or the new one, never half of one.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import dns.name
import dns.rdatatype
import dns.rrset
import dns.zone

from lanlab.nameserver.zones import Zone, Zones

HEADER = """\
; {origin}: written by the lanlab DNS server after every change.
; The fixed names come from its configuration at every start; the other records are kept.
$ORIGIN {origin}
"""


def render_zone(zone: Zone) -> str:
    lines = [HEADER.format(origin=zone.origin)]
    lines += [rrset.to_text() for rrset in zone.rrsets()]
    return "\n".join(lines) + "\n"


def parse_zone(text: str, origin: dns.name.Name) -> tuple[int, list[dns.rrset.RRset]]:
    """(serial, every RRset but the SOA) of a zone file; raises on a bad file."""
    parsed = dns.zone.from_text(text, origin=origin, relativize=False)
    serial = 0
    rrsets = []
    for name, rdataset in parsed.iterate_rdatasets():
        if rdataset.rdtype == dns.rdatatype.SOA:
            serial = rdataset[0].serial
            continue
        rrsets.append(dns.rrset.from_rdata_list(name, rdataset.ttl, list(rdataset)))
    return serial, rrsets


def zone_path(directory: str | os.PathLike, origin: dns.name.Name) -> Path:
    return Path(directory) / f"{origin.to_text(omit_final_dot=True)}.zone"


def merge(zone: Zone, saved_text: str) -> bool:
    """Take the saved serial and dynamic records into `zone`; True if the zone now
    differs from what was saved (its serial then grew)."""
    serial, rrsets = parse_zone(saved_text, zone.origin)
    for rrset in rrsets:
        if rrset.name not in zone.fixed and zone.contains(rrset.name):
            zone.put(rrset)
    zone.set_serial(max(serial, 1))
    if render_zone(zone) != saved_text:
        zone.bump_serial()
        return True
    return False


def load_zones(zones: Zones, directory: str | os.PathLike, log: Callable[[str], None]) -> list[Zone]:
    """Merge every saved zone file into `zones`; returns the zones to save again."""
    stale = []
    for zone in zones:
        path = zone_path(directory, zone.origin)
        try:
            text = path.read_text()
        except FileNotFoundError:
            stale.append(zone)
            continue
        try:
            changed = merge(zone, text)
        except Exception as error:  # a damaged file must not stop the server
            log(f"{path}: unreadable ({type(error).__name__}: {error}); starting the zone afresh")
            stale.append(zone)
            continue
        log(f"{path}: loaded, serial {zone.serial}, {zone.record_count()} records")
        if changed:
            stale.append(zone)
    return stale


def save_zone(zone: Zone, directory: str | os.PathLike) -> Path:
    path = zone_path(directory, zone.origin)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "w") as handle:
        handle.write(render_zone(zone))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    return path
