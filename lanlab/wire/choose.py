"""Which lab, which networks, which node: the checks `make capture` and `make trace` share."""
from __future__ import annotations

from lanlab.control.errors import LabError
from lanlab.control.inventory import Inventory, Network, Node


def require_lab(lab: Inventory) -> Inventory:
    if not lab.networks:
        raise LabError(f"lab {lab.project!r} is not running; start it with `make up`")
    return lab


def networks(lab: Inventory, spec: str | None) -> list[Network]:
    """NET=lan-a,lan-b or NET=all (or nothing): the networks, by their names in the lab."""
    names = [n.strip() for n in (spec or "all").split(",") if n.strip()]
    if not names or names == ["all"]:
        return list(lab.networks.values())
    unknown = [n for n in names if n not in lab.networks]
    if unknown:
        raise LabError(f"no network {unknown[0]!r} in lab {lab.project!r}; "
                       f"choose from {', '.join(lab.networks)} or all (e.g. NET=lan-a,lan-b)")
    return [lab.networks[n] for n in dict.fromkeys(names)]


def node(lab: Inventory, name: str | None) -> Node:
    if not name or name not in lab.nodes:
        raise LabError(f"no node {name!r} in lab {lab.project!r}; choose from {', '.join(lab.nodes)}")
    found = lab.nodes[name]
    if not found.running:
        raise LabError(f"{name} is not running ({found.health}); start the lab again with `make up`")
    return found
