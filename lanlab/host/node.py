"""What every lab container does at start: find its interfaces, fix its routes, say ready.

Docker attaches networks in no fixed order and gives random MAC addresses, so an
interface is found by the subnet its address belongs to, never by its name. Docker
also makes the host machine's bridge address every container's default gateway; lab
containers replace that route with one through the router (moby#48193: Docker cannot
make a container a network's gateway).

The parsing functions take the JSON that `ip -j` prints and do no I/O; the functions
that run commands are thin and named for what they change.
"""
from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import time
from dataclasses import dataclass

from lanlab.host.ready import clear_ready, log, mark_ready


class NodeError(RuntimeError):
    """A start-up step that failed; the message is one line saying what to do."""


@dataclass(frozen=True)
class Interface:
    name: str
    mac: str
    addresses: tuple[ipaddress.IPv4Interface, ...]

    def address_in(self, network: ipaddress.IPv4Network) -> ipaddress.IPv4Interface | None:
        for address in self.addresses:
            if address.ip in network:
                return address
        return None


def parse_addresses(ip_json: str) -> list[Interface]:
    """Interfaces (loopback left out) from `ip -j addr show`."""
    interfaces = []
    for entry in json.loads(ip_json or "[]"):
        if entry.get("link_type") == "loopback":
            continue
        addresses = tuple(
            ipaddress.ip_interface(f"{info['local']}/{info['prefixlen']}")
            for info in entry.get("addr_info", [])
            if info.get("family") == "inet"
        )
        interfaces.append(Interface(entry["ifname"], entry.get("address", ""), addresses))
    return interfaces


def find_by_subnet(interfaces: list[Interface], network) -> Interface:
    """The interface that holds an address in `network` (an ip_network or a string), from
    `ip -j` output: the router, the servers and the control (through docker exec) use it;
    hosts use the lighter ioctl lookup in lanlab.host.dhcp_client."""
    network = ipaddress.ip_network(network, strict=False)
    for interface in interfaces:
        if interface.address_in(network):
            return interface
    raise NodeError(f"no interface has an address in {network}; is the container on that network?")


def parse_routes(ip_json: str) -> list[dict]:
    return json.loads(ip_json or "[]")


def default_gateway(routes: list[dict]) -> str | None:
    for route in routes:
        if route.get("dst") == "default":
            return route.get("gateway")
    return None


# --- thin wrappers that run commands -------------------------------------------------

def run(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, capture_output=True, text=True)
    if check and result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise NodeError(f"{' '.join(argv)} failed: {detail[-1] if detail else result.returncode}")
    return result


def interfaces() -> list[Interface]:
    return parse_addresses(run("ip", "-j", "addr", "show").stdout)


def routes() -> list[dict]:
    return parse_routes(run("ip", "-j", "route", "show").stdout)


def set_default_route(gateway) -> None:
    run("ip", "route", "replace", "default", "via", str(gateway))


def drop_default_route() -> None:
    while default_gateway(routes()) is not None:
        run("ip", "route", "del", "default")


def checksum_offload_off(name: str) -> None:
    """Real DHCP clients read with raw sockets and drop the unfilled UDP checksums that
    veth offload leaves behind; filling checksums in software cures it."""
    run("ethtool", "-K", name, "tx", "off", check=False)


def can_ping(address, timeout: int = 1) -> bool:
    return run("ping", "-c", "1", "-W", str(timeout), str(address), check=False).returncode == 0


def sleep_forever() -> None:
    while True:
        time.sleep(3600)


def route_via_router(subnet: str, gateway: str | None = None) -> tuple[Interface, ipaddress.IPv4Address]:
    """Take the default route through the router (`gateway`, else .1 of `subnet`) without
    waiting for it: (the interface on `subnet`, the router's address). Gateway "none"
    (a lab file's network with no router): no default route at all, and (the interface,
    None)."""
    network = ipaddress.ip_network(subnet, strict=False)
    interface = find_by_subnet(interfaces(), network)
    if gateway == "none":
        drop_default_route()
        log(f"{interface.name} {interface.address_in(network)}, no router: no default route")
        return interface, None
    gateway = ipaddress.ip_address(gateway) if gateway else network.network_address + 1
    set_default_route(gateway)
    log(f"{interface.name} {interface.address_in(network)}, default via {gateway}")
    return interface, gateway


def serve_on_subnet(serve) -> int:
    """A server container's start (dhcp, dns): the default route through the router on
    $LANLAB_SUBNET, without waiting for it, then `serve(ready)`, where ready() marks the
    container ready; serve's exit status is the container's."""
    started = time.monotonic()
    clear_ready()
    try:
        route_via_router(os.environ["LANLAB_SUBNET"], os.environ.get("LANLAB_GATEWAY"))
    except KeyError:
        log("error: LANLAB_SUBNET is not set (compose.yaml gives every container its subnet)")
        return 1
    except NodeError as error:
        log(f"error: {error}")
        return 1
    return serve(lambda: mark_ready(started))


# --- a lab file's router and static hosts (lanlab/control/generate.py sets the variables) ---

def parse_static_routes(text: str) -> list[tuple[ipaddress.IPv4Network, ipaddress.IPv4Address]]:
    """LANLAB_ROUTES, "10.25.0.0/16 via 172.25.255.2; ..." -> [(destination, next hop)]."""
    routes = []
    for item in filter(None, (part.strip() for part in text.split(";"))):
        destination, via, hop = item.split()
        if via != "via":
            raise NodeError(f"LANLAB_ROUTES item {item!r} is not 'SUBNET via ADDRESS'")
        routes.append((ipaddress.ip_network(destination), ipaddress.ip_address(hop)))
    return routes


def readdress_commands(found: list[Interface], wanted: list[ipaddress.IPv4Interface]) -> list[list[str]]:
    """`ip` commands that give each wanted address its prefix length, on the interface
    that holds that address (Docker gave it the Docker network's length)."""
    commands = []
    for address in wanted:
        for interface in found:
            held = [a for a in interface.addresses if a.ip == address.ip]
            if held and held[0] != address:
                commands += [["ip", "addr", "del", str(held[0]), "dev", interface.name],
                             ["ip", "addr", "add", str(address), "broadcast", "+", "dev", interface.name]]
    return commands


def set_addresses(text: str) -> None:
    """LANLAB_ADDRESSES / LANLAB_STATIC, "172.25.255.1/30 ...": each address with its length."""
    wanted = [ipaddress.ip_interface(item) for item in text.split()]
    for argv in readdress_commands(interfaces(), wanted):
        run(*argv)


def add_static_routes(text: str) -> None:
    for destination, hop in parse_static_routes(text):
        run("ip", "route", "replace", str(destination), "via", str(hop))
        log(f"route {destination} via {hop}")
