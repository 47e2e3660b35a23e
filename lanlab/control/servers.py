"""The DHCP and DNS servers' configuration for a lab file, in their own formats
(lanlab/dhcp/config.py: dhcp.toml; lanlab/nameserver/config.py: the DNS TOML).

DHCP: one [[subnet]] per network the server reaches (its own, and every network whose
gateway relays), with the gateway as option 3 and the pool of LabFile.pool; one
[[reservation]] per host with an address that is not static.

DNS: one reverse zone per network (any prefix length: the zone of the octets it fixes,
lanlab.nameserver.config.reverse_zone); fixed names for every router interface
(r1-lan-a, also the PTR target of its address), every router (all its addresses), dhcp,
dns and the static hosts. Hosts that lease get their names from the DHCP server's updates.
"""
from __future__ import annotations

from dataclasses import dataclass

from lanlab import contracts
from lanlab.control.labfile import LabFile

CONFIG_DIR = "/etc/lanlab"   # where a generated lab mounts the servers' files


@dataclass(frozen=True)
class ServiceConfig:
    """One server's configuration file: its name, the variable that points the server at
    it, and its text."""
    service: str
    filename: str
    variable: str
    text: str

    @property
    def path(self) -> str:
        return f"{CONFIG_DIR}/{self.filename}"


def quote(value) -> str:
    return f'"{value}"'


def dhcp_toml(lab: LabFile) -> str:
    server = lab.dhcp
    lines = ["# lanlab DHCP server configuration, generated from the lab file.", "[server]",
             f"identifier = {quote(server.address)}", f"domain = {quote(lab.domain)}",
             "lease_time = 3600"]
    if lab.dns is not None:
        lines += [f"dns_servers = [{quote(lab.dns.address)}]", f"ddns_server = {quote(lab.dns.address)}"]
    for network in lab.networks:
        if not lab.dhcp_serves(network.name):
            continue
        lines += ["", "[[subnet]]", f"name = {quote(network.name)}", f"network = {quote(network.subnet)}"]
        gateway = lab.gateway_address(network.name)
        if gateway is not None:
            lines.append(f"router = {quote(gateway)}")
        pool = lab.pool(network.name)
        if pool is not None:
            lines.append(f"pool = [{quote(pool[0])}, {quote(pool[1])}]")
    for host in lab.hosts:
        if host.address is not None and not host.static and lab.dhcp_serves(host.network):
            lines += ["", "[[reservation]]", f"hostname = {quote(host.name)}", f"address = {quote(host.address)}"]
    return "\n".join(lines) + "\n"


def dns_names(lab: LabFile) -> dict[str, tuple]:
    """name -> addresses; the first name given an address is its PTR target."""
    names = {name: (address,) for name, address in lab.interface_names().items()}
    names.update({r.name: tuple(i.address for i in r.interfaces) for r in lab.routers})
    names.update({s.name: (s.address,) for s in lab.servers()})
    names.update({h.name: (h.address,) for h in lab.hosts if h.static})
    return names


def dns_toml(lab: LabFile) -> str:
    lines = ["# The lanlab DNS server's configuration, generated from the lab file.",
             f"domain = {quote(lab.domain)}", 'nameserver = "dns"', "ttl = 300", "negative_ttl = 60", "",
             "[server]", 'listen = "0.0.0.0"', f"port = {contracts.DNS_PORT}",
             f"records = {quote(contracts.RECORDS_DIR)}", f"key = {quote(contracts.KEY_PATH)}",
             "max_records = 10000", ""]
    for network in lab.networks:
        lines += ["[[subnet]]", f"name = {quote(network.name)}", f"network = {quote(network.subnet)}", ""]
    lines.append("[hosts]")
    for name, addresses in dns_names(lab).items():
        lines.append(f"{name} = [{', '.join(quote(a) for a in addresses)}]")
    return "\n".join(lines) + "\n"


def configs(lab: LabFile) -> dict[str, ServiceConfig]:
    found = {}
    if lab.dhcp is not None:
        found["dhcp"] = ServiceConfig("dhcp", "dhcp.toml", "LANLAB_DHCP_CONFIG", dhcp_toml(lab))
    if lab.dns is not None:
        found["dns"] = ServiceConfig("dns", "dns.toml", "LANLAB_DNS_CONFIG", dns_toml(lab))
    return found
