"""This machine's IPv4 routes, read from /proc/net/route (a lab must not take a subnet
the machine already routes elsewhere)."""
from __future__ import annotations

import ipaddress
from pathlib import Path


def host_routes() -> list[ipaddress.IPv4Network]:
    """This machine's IPv4 routes (main table)."""
    return parse_proc_routes(Path("/proc/net/route").read_text())


def parse_proc_routes(text: str) -> list[ipaddress.IPv4Network]:
    """Destinations of /proc/net/route (hexadecimal, little-endian address and mask)."""
    routes = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 8:
            dest, mask = (ipaddress.IPv4Address(int(fields[i], 16).to_bytes(4, "little")) for i in (1, 7))
            routes.append(ipaddress.ip_network(f"{dest}/{mask}", strict=False))
    return routes
