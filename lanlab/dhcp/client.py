"""A lab host's address by DHCP, at every container start: busybox udhcpc.

Why udhcpc and not a client of our own: it is a real client no one here wrote (so every
host's boot is itself a check of the server and relay), it is in the base image, it
renews and rebinds on its own, and its script hook (nodes/udhcpc.script) lets the host
rewrite /etc/resolv.conf in place. Started with:

    -x hostname:NAME          option 12: reservations and DNS names go by host name
    -x 0x3d:00<NAME>          option 61: a client id from the host name, so a restarted
                              host gets its address back even if Docker changed its MAC
    -T 1 -t 100000 -A 1       a DISCOVER at once, then one a second while no server
                              answers (the server may still be starting): no backoff

Before udhcpc starts, the host waits (at most PATH_WAIT) until the relay and the server
listen (lanlab/dhcp/probe.py): a DISCOVER sent into a lab still starting would be lost,
and udhcpc's next one comes a second later.

The host is ready (lanlab.node.mark_ready) only once the script has written the lease
and the router answers through it; udhcpc keeps running, renewing at T1 and rebinding at
T2, and lanlab.hostd (what the boot becomes) starts it again if it ever exits.
"""
from __future__ import annotations

import ipaddress
import os
import subprocess
import time
from pathlib import Path

from lanlab import node
from lanlab.dhcp import client_id_for, probe

LEASE = Path(os.environ.get("LANLAB_RUN", "/run/lanlab")) / "lease"
SCRIPT = "/opt/lanlab/nodes/udhcpc.script"
PATH_WAIT = 10.0  # seconds a host waits for the relay and the server before it asks anyway


def udhcpc_argv(interface: str, hostname: str, script: str = SCRIPT) -> list[str]:
    return ["busybox", "udhcpc", "-f", "-i", interface, "-s", script,
            "-T", "1", "-t", "100000", "-A", "1",
            "-x", f"hostname:{hostname}", "-x", f"0x3d:{client_id_for(hostname).hex()}"]


def start(interface: str, hostname: str) -> subprocess.Popen:
    LEASE.unlink(missing_ok=True)  # a file from the last run would say "bound" too early
    return subprocess.Popen(udhcpc_argv(interface, hostname))


def read_lease() -> tuple[ipaddress.IPv4Interface, ipaddress.IPv4Address] | None:
    """(address/prefix, router) once the script wrote them, else None."""
    try:
        address, router = LEASE.read_text().split()[:2]
        return ipaddress.IPv4Interface(address), ipaddress.IPv4Address(router)
    except (OSError, ValueError):
        return None


def wait_for_dhcp_path(subnet: str, timeout: float = PATH_WAIT) -> None:
    """Before the first DISCOVER: probe until relay and server both listen (see
    lanlab/dhcp/probe.py), so that it is not lost; after `timeout`, go on anyway."""
    began = time.monotonic()
    broadcast = str(ipaddress.ip_network(subnet, strict=False).broadcast_address)
    answered = probe.wait_for_answer(broadcast, timeout)
    took = time.monotonic() - began
    if answered is None:
        node.log(f"no answer to the DHCP path probe in {took:.1f} s; asking for an address anyway")
    elif took > 0.05:
        node.log(f"the DHCP path is open ({answered} answered after {took:.2f} s)")


def boot(subnet: str, hostname: str, timeout: float = 120.0):
    """Run the client on the interface Docker put on `subnet`; return (process, interface)
    once the lease is held and the router answers, or raise NodeError."""
    interface = node.find_by_subnet(node.interfaces(), subnet)
    wait_for_dhcp_path(subnet)
    process = start(interface.name, hostname)
    node.log(f"{interface.name}: asking for an address by DHCP as {hostname}")
    if not node.wait_for(lambda: read_lease() is not None or process.poll() is not None, timeout, 0.02):
        raise node.NodeError(f"no DHCP lease within {timeout:.0f} s; see `make logs` (dhcp, router)")
    lease = read_lease()
    if lease is None:
        raise node.NodeError(f"udhcpc exited ({process.returncode}) before a lease was held")
    address, router = lease
    if not node.wait_for(lambda: node.can_ping(router), 30, pause=0.05):
        raise node.NodeError(f"leased {address} but the router {router} does not answer")
    node.log(f"{interface.name} {address} by DHCP, default via {router}")
    return process, interface
