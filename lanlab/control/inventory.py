"""What a running lab is made of, read from `docker inspect` alone (no exec in any node).

The one description of a running lab that the capture, the ladder, the web view
(GET /api/lab) and the lessons share:

    Inventory(project, networks: {name: Network}, nodes: {name: Node})
    Network(name, subnet, bridge, kind)          kind: "switch" or "hub"
    Node(name, role, container_id, running, health, interfaces)
    Interface(network, mac, docker_ip)

Names are Compose names: a network is "lan-a" (label com.docker.compose.network), not
Docker's "lw_lan-a"; a node is its service, "alice". `bridge` is the host-side Linux
bridge of the network: the `com.docker.network.bridge.name` option, else
`br-<first 12 hex digits of the network id>`, which is what Docker names it.

A network is a hub when its bridge never learns (ageing time 0, read from
/sys/class/net/<bridge>/bridge/ageing_time where this machine shows it, so a switch
turned into a hub while the lab runs is seen), else as its label `lanlab.kind` says,
else a switch.

A node's role is its container's label `lanlab.role` (router, dhcp, dns, host: the lab
image's roles, lanlab/contracts.py), "other" for a container without one.

`docker_ip` is the address Docker gave: a host replaces it with its DHCP lease, so the
MAC address is the stable key of an interface (node_by_mac).
"""
from __future__ import annotations

import json
import os
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from lanlab import contracts
from lanlab.control.errors import LabError

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
NETWORK_LABEL = "com.docker.compose.network"
BRIDGE_OPTION = "com.docker.network.bridge.name"
KIND_LABEL = "lanlab.kind"
SYS_NET = Path("/sys/class/net")


@dataclass(frozen=True)
class Interface:
    network: str
    mac: str
    docker_ip: str


@dataclass(frozen=True)
class Network:
    name: str
    subnet: str
    bridge: str
    kind: str


@dataclass(frozen=True)
class Node:
    name: str
    role: str
    container_id: str
    running: bool
    health: str
    interfaces: tuple[Interface, ...]


@dataclass
class Inventory:
    project: str
    networks: dict[str, Network] = field(default_factory=dict)
    nodes: dict[str, Node] = field(default_factory=dict)

    def node_by_mac(self, mac: str) -> str | None:
        mac = mac.lower()
        for node in self.nodes.values():
            if any(interface.mac == mac for interface in node.interfaces):
                return node.name
        return None

    def to_json(self) -> dict:
        return {"project": self.project,
                "networks": {name: asdict(net) for name, net in self.networks.items()},
                "nodes": {name: {**asdict(node), "interfaces": [asdict(i) for i in node.interfaces]}
                          for name, node in self.nodes.items()}}


def inventory(project: str | None = None) -> Inventory:
    """The running lab `project` (default LANLAB_PROJECT, else "lanlab")."""
    project = project or os.environ.get("LANLAB_PROJECT", "lanlab")
    label = f"label={PROJECT_LABEL}={project}"
    containers = inspect(docker_lines("ps", "-aq", "--filter", label), "container")
    networks = inspect(docker_lines("network", "ls", "-q", "--filter", label), "network")
    return from_inspect(project, containers, networks)


def from_inspect(project: str, containers: list[dict], networks: list[dict],
                 ageing: Callable[[str], int | None] | None = None) -> Inventory:
    """Build the inventory from `docker inspect` and `docker network inspect` output."""
    ageing = ageing or bridge_ageing_time
    by_docker_name = {net["Name"]: network_from(net, ageing) for net in networks}
    nodes = [node_from(c, by_docker_name) for c in containers]
    return Inventory(project,
                     {net.name: net for net in sorted(by_docker_name.values(), key=lambda n: n.name)},
                     {node.name: node for node in sorted(nodes, key=lambda n: n.name)})


def network_from(raw: dict, ageing: Callable[[str], int | None]) -> Network:
    labels = raw.get("Labels") or {}
    bridge = (raw.get("Options") or {}).get(BRIDGE_OPTION) or f"br-{raw['Id'][:12]}"
    configs = (raw.get("IPAM") or {}).get("Config") or []
    subnet = next((c["Subnet"] for c in configs if c.get("Subnet")), "")
    kind = "hub" if ageing(bridge) == 0 else labels.get(KIND_LABEL, "switch")
    return Network(labels.get(NETWORK_LABEL, raw["Name"]), subnet, bridge, kind)


def node_from(raw: dict, networks: dict[str, Network]) -> Node:
    config = raw.get("Config") or {}
    labels = config.get("Labels") or {}
    state = raw.get("State") or {}
    running = bool(state.get("Running"))
    health = (state.get("Health") or {}).get("Status", "running") if running else state.get("Status", "unknown")
    attached = (raw.get("NetworkSettings") or {}).get("Networks") or {}
    interfaces = tuple(sorted(
        (Interface(networks[name].name if name in networks else name,
                   (info.get("MacAddress") or "").lower(), info.get("IPAddress") or "")
         for name, info in attached.items()),
        key=lambda i: i.network))
    return Node(labels.get(SERVICE_LABEL, raw.get("Name", "").lstrip("/")), role_of(labels),
                raw["Id"], running, health, interfaces)


def role_of(labels: dict) -> str:
    return labels.get(contracts.ROLE_LABEL) or "other"


def bridge_ageing_time(bridge: str) -> int | None:
    try:
        return int((SYS_NET / bridge / "bridge" / "ageing_time").read_text())
    except (OSError, ValueError):
        return None


def docker_lines(*args: str) -> list[str]:
    return docker(*args).split()


def inspect(ids: list[str], what: str) -> list[dict]:
    """Inspect what is still there: one removed since it was listed is left out."""
    if not ids:
        return []
    return json.loads(docker(*(["network"] if what == "network" else []), "inspect", *ids,
                             gone_ok=True) or "[]")


def docker(*args: str, gone_ok: bool = False) -> str:
    try:
        result = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise LabError("the docker command is not installed; install Docker") from None
    except subprocess.TimeoutExpired:
        raise LabError(f"`docker {args[0]}` gave no answer in 60 s; is the Docker engine running?") from None
    if result.returncode != 0 and not (gone_ok and "No such" in result.stderr):
        lines = result.stderr.strip().splitlines() or ["no message"]
        raise LabError(f"`docker {' '.join(args[:2])}` failed: {lines[-1]}")
    return result.stdout
