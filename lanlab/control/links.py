"""`make link`: a network's conditions (delay, loss, rate, down) and switch or hub, live.

    make link                                  every network's kind and conditions
    make link NET=lan-b DELAY=50ms LOSS=5% RATE=10mbit [NODE=carol]
    make link NET=lan-b CLEAR=1 | DOWN=1 | UP=1 | HUB=1 | HUB=0

Conditions are set on each member's egress on that network, inside the member (docker
exec of lanlab/link/apply.py, all members at once), so every frame the network delivers
is delayed, dropped or shaped once, by its sender: a ping between two members gains
2 x DELAY of round trip. With NODE only that member's frames are.
A call changes the values it names and keeps the others; CLEAR clears them all, UP only
DOWN. What was set is recorded in build/<project>/links.json (the nodes' iptables rules
and qdiscs are the truth; the record is what `make link` prints); a record made for
containers that are gone is ignored, and `make down` removes it.

Hub or switch is the host-side bridge's ageing time (0: never learn, flood every frame;
30000 centiseconds: Docker's default, learn), set from a short-lived container of our
base image in the machine's network namespace (nothing is installed on the machine) and
read back from /sys/class/net/<bridge>/bridge/ageing_time.
"""
from __future__ import annotations

import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from lanlab.control.errors import LabError, say
from lanlab.control.generate import BUILD
from lanlab.control.inventory import inventory
from lanlab.link import conditions as cond

HUB_AGEING, SWITCH_AGEING = 0, 30000
HELPER_IMAGE = "lanlab-base:latest"
EXEC_TIMEOUT = 120          # a docker exec on a busy 2-core machine has taken 30 s


@dataclass(frozen=True)
class LinkNetwork:
    name: str
    subnet: str
    bridge: str
    kind: str                                                 # "switch" or "hub", read from the bridge
    members: dict[str, str] = field(default_factory=dict)    # node -> container id


@dataclass(frozen=True)
class Request:
    """One `make link` call: which network, which node, and what to change."""
    net: str = ""
    node: str = ""
    delay: str = ""
    loss: str = ""
    rate: str = ""
    clear: bool = False
    down: bool = False
    up: bool = False
    hub: str = ""

    def changes(self) -> dict:
        values = {}
        if self.delay:
            values["delay_ms"] = cond.parse_delay(self.delay)
        if self.loss:
            values["loss"] = cond.parse_loss(self.loss)
        if self.rate:
            values["rate"] = cond.parse_rate(self.rate)
        if self.down or self.up:
            values["down"] = self.down
        return values


def docker(*args: str, timeout: float = EXEC_TIMEOUT) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise LabError(f"`docker {args[0]}` gave no answer in {timeout:g} s; is the Docker engine busy?") from None


def lab_networks(project: str) -> dict[str, LinkNetwork]:
    """The running lab's networks by Compose name, with their running members."""
    return networks_of(inventory(project))


def networks_of(lab) -> dict[str, LinkNetwork]:
    """The networks of an inventory (lanlab/control/inventory.py), with their running members."""
    return {name: LinkNetwork(name, net.subnet, net.bridge, net.kind,
                              {node.name: node.container_id for node in lab.nodes.values()
                               if node.running and any(i.network == name for i in node.interfaces)})
            for name, net in lab.networks.items()}


def conditions_of(project: str, lab) -> dict[str, str]:
    """Each network's conditions in words ("clear", "delay 50ms, loss 5%", ...): the web view's."""
    record = load(project)
    return {name: describe(record, network) for name, network in networks_of(lab).items()}


# --- the record ------------------------------------------------------------------------

def record_path(project: str) -> Path:
    return BUILD / project / "links.json"


def load(project: str) -> dict:
    """{network: {node: {"container": id, "conditions": {delay_ms, loss, rate, down}}}}"""
    try:
        return json.loads(record_path(project).read_text())
    except (OSError, ValueError):
        return {}


def save(project: str, record: dict) -> None:
    path = record_path(project)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    os.replace(temporary, path)


def forget(project: str) -> None:
    """`make down`: the lab's conditions went with its containers."""
    record_path(project).unlink(missing_ok=True)


def current(record: dict, network: LinkNetwork) -> dict[str, cond.Conditions]:
    """Each member's recorded conditions; entries for containers that are gone are dropped."""
    entries = record.get(network.name, {})
    result = {}
    for node, cid in network.members.items():
        entry = entries.get(node)
        if entry and entry.get("container") == cid:
            result[node] = cond.Conditions(**entry["conditions"])
    return result


# --- applying --------------------------------------------------------------------------

def apply_in(container: str, subnet: str, wanted: cond.Conditions) -> str | None:
    """Set the conditions inside one node; None, or the reason it failed."""
    result = docker("exec", container, "python3", "-m", "lanlab.link.apply", subnet, *wanted.to_args())
    if result.returncode == 0:
        return None
    lines = (result.stderr or result.stdout).strip().splitlines() or [f"exit status {result.returncode}"]
    return lines[-1].removeprefix("lanlab: error: ")


def apply_all(network: LinkNetwork, wanted: dict[str, cond.Conditions]) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        failures = pool.map(lambda node: (node, apply_in(network.members[node], network.subnet, wanted[node])),
                            wanted)
        failed = [f"{node}: {why}" for node, why in failures if why]
    if failed:
        raise LabError(f"network {network.name}: {'; '.join(failed)}")


def change(project: str, network: LinkNetwork, request: Request) -> dict[str, cond.Conditions]:
    """Apply a request's conditions to the network's members (or NODE) and record them."""
    targets = [request.node] if request.node else list(network.members)
    record = load(project)
    now = current(record, network)
    values = request.changes()
    wanted = {node: cond.Conditions() if request.clear else replace(now.get(node, cond.Conditions()), **values)
              for node in targets}
    apply_all(network, wanted)
    entries = record.setdefault(network.name, {})
    for node, conditions in wanted.items():
        entries[node] = {"container": network.members[node], "conditions": conditions.to_dict()}
        if conditions.clear:
            del entries[node]
    if not entries:
        del record[network.name]
    save(project, record)
    return wanted


def set_hub(network: LinkNetwork, hub: bool) -> None:
    ageing = HUB_AGEING if hub else SWITCH_AGEING
    result = docker("run", "--rm", "--network", "host", "--cap-add", "NET_ADMIN", "--label",
                    "lanlab.helper=link", HELPER_IMAGE, "ip", "link", "set", network.bridge,
                    "type", "bridge", "ageing_time", str(ageing), timeout=60)
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines() or ["no message"]
        raise LabError(f"cannot set bridge {network.bridge} of {network.name} to ageing time {ageing}: {lines[-1]}")


def at_up(project: str, lab) -> None:
    """`make up LAB=...`: the lab file's hubs and link conditions (a LabFile), the same way
    `make link` sets them."""
    networks = lab_networks(project)
    for network in lab.networks:
        if network.kind == "hub" and network.name in networks:
            say(f"{network.name} is a hub: its bridge never learns")
            set_hub(networks[network.name], True)
    for link in lab.links:
        if link.network in networks:
            wanted = change(project, networks[link.network],
                            Request(net=link.network, delay=link.delay or "", loss=link.loss or "",
                                    rate=link.rate or ""))
            say(f"{link.network}: {next(iter(wanted.values())).describe() if wanted else 'no members'}")


# --- the command -----------------------------------------------------------------------

def describe(record: dict, network: LinkNetwork) -> str:
    now = {node: c for node, c in current(record, network).items() if not c.clear}
    described = {c.describe() for c in now.values()}
    if not now:
        return "clear"
    if len(described) == 1 and len(now) == len(network.members):
        return described.pop()
    return "; ".join(f"{node}: {c.describe()}" for node, c in now.items())


def table(project: str, networks: dict[str, LinkNetwork]) -> str:
    record = load(project)
    rows = [("network", "subnet", "kind", "conditions")]
    rows += [(n.name, n.subnet, n.kind, describe(record, n)) for n in networks.values()]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join("  ".join([*(cell.ljust(w) for cell, w in zip(row, widths)), row[3]]) for row in rows)


def run(project: str, request: Request) -> str:
    networks = lab_networks(project)
    if not networks:
        raise LabError(f"lab {project!r} is not running; start it with `make up`")
    if not request.net:
        if request != Request():
            raise LabError("say which network, e.g. `make link NET=lan-b DELAY=50ms`")
        return table(project, networks)
    network = networks.get(request.net)
    if network is None:
        raise LabError(f"no network {request.net!r} in lab {project!r}; networks: {', '.join(networks)}")
    if request.node and request.node not in network.members:
        raise LabError(f"{request.node!r} is not on {network.name}; its members: {', '.join(network.members)}")
    try:
        values = request.changes()
    except ValueError as error:
        raise LabError(str(error)) from None
    if request.hub not in ("", "0", "1"):
        raise LabError(f"HUB={request.hub!r}: write HUB=1 (a hub) or HUB=0 (a switch)")
    if not (values or request.clear or request.hub):
        raise LabError("say what to change: DELAY=50ms LOSS=5% RATE=10mbit, CLEAR=1, DOWN=1, UP=1, HUB=1 or HUB=0")
    if request.hub:
        set_hub(network, request.hub == "1")
        network = replace(network, kind="hub" if request.hub == "1" else "switch")
    if values or request.clear:
        change(project, network, request)
    return table(project, {network.name: network})


def parse(args: list[str]) -> Request:
    """`--net lan-b --delay 50ms ... --clear --down --up --hub 1` (empty values allowed)."""
    values, items = {}, iter(args)
    flags = {"--clear", "--down", "--up"}
    for arg in items:
        if arg in flags:
            values[arg[2:]] = True
        elif arg in ("--net", "--node", "--delay", "--loss", "--rate", "--hub"):
            values[arg[2:]] = next(items, "")
        else:
            raise LabError(f"unknown argument {arg!r} to `link`")
    if values.get("down") and values.get("up"):
        raise LabError("DOWN=1 and UP=1 together: say one")
    return Request(**values)
