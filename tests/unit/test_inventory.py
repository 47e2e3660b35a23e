"""The running-lab inventory from fake `docker inspect` output (no Docker needed)."""
from __future__ import annotations

import json

import pytest

from lanlab.control import inventory as inv
from lanlab.control.errors import LabError

NET_A = "64fdabdb455bb5b82e5527f519a17835388fe64d1a3f46a5ccdaae4696f7b3e3"
NET_SVC = "43d9d5469555bd53c9266948bbc294825c4ac32c2e682f3ccd86120cd1a23a58"


def network(name: str, net_id: str, subnet: str, labels: dict | None = None, options: dict | None = None) -> dict:
    return {"Name": f"lw_{name}", "Id": net_id, "Driver": "bridge",
            "IPAM": {"Driver": "default", "Config": [{"Subnet": subnet, "Gateway": subnet[:-4] + "254"}]},
            "Options": {"com.docker.network.bridge.enable_ip_masquerade": "false", **(options or {})},
            "Labels": {"com.docker.compose.network": name, "com.docker.compose.project": "lw", **(labels or {})}}


def container(service: str, image: str, networks: dict, running: bool = True, health: str | None = "healthy",
              labels: dict | None = None) -> dict:
    state = {"Status": "running" if running else "exited", "Running": running}
    if health:
        state["Health"] = {"Status": health, "FailingStreak": 0}
    return {"Id": f"{service:0<64}"[:64], "Name": f"/lw_{service}_1", "State": state,
            "Config": {"Image": image, "Labels": {"com.docker.compose.project": "lw",
                                                  "com.docker.compose.service": service, **(labels or {})}},
            "NetworkSettings": {"Networks": {
                f"lw_{net}": {"NetworkID": "x", "IPAddress": ip, "IPPrefixLen": 24, "MacAddress": mac}
                for net, (ip, mac) in networks.items()}}}


NETWORKS = [network("lan-a", NET_A, "172.23.7.0/24"), network("svc", NET_SVC, "172.23.0.0/24")]
CONTAINERS = [
    container("router", "lanlab/lab:lw", {"lan-a": ("172.23.7.1", "02:42:AC:17:07:01"),
                                             "svc": ("172.23.0.1", "02:42:ac:17:00:01")},
              labels={"lanlab.role": "router"}),
    container("alice", "lanlab/lab:lw", {"lan-a": ("172.23.7.20", "02:42:ac:17:07:14")},
              labels={"lanlab.role": "host"}),
    container("bob", "lanlab/lab:lw", {"lan-a": ("172.23.7.226", "02:42:ac:17:07:e2")},
              running=False, health=None, labels={"lanlab.role": "host"}),
    container("dhcp", "lanlab/lab:lw", {"svc": ("172.23.0.2", "02:42:ac:17:00:02")}, health="starting",
              labels={"lanlab.role": "dhcp"}),
]


def build(ageing=lambda bridge: None, containers=CONTAINERS, networks=NETWORKS) -> inv.Inventory:
    return inv.from_inspect("lw", containers, networks, ageing=ageing)


def test_networks_by_compose_name_with_subnet_and_host_bridge():
    lab = build()
    assert list(lab.networks) == ["lan-a", "svc"], "networks are named as in compose.yaml, not Docker's lw_ names"
    assert lab.networks["lan-a"] == inv.Network("lan-a", "172.23.7.0/24", "br-64fdabdb455b", "switch"), \
        "the capture listens on br-<12 hex of the network id>, Docker's own bridge name"


def test_bridge_name_option_wins():
    named = network("lan-b", "ab" * 32, "172.23.13.0/24", options={"com.docker.network.bridge.name": "lanb0"})
    assert build(networks=[named]).networks["lan-b"].bridge == "lanb0", \
        "a network given its own bridge name is captured on that bridge"


def test_hub_when_bridge_never_learns_or_labelled():
    lab = build(ageing=lambda bridge: 0 if bridge == "br-64fdabdb455b" else 30000)
    assert lab.networks["lan-a"].kind == "hub", "ageing time 0 is a hub: it floods every frame"
    assert lab.networks["svc"].kind == "switch", "a bridge that learns is a switch"
    labelled = network("lan-b", "cd" * 32, "172.23.13.0/24", labels={"lanlab.kind": "hub"})
    assert build(networks=[labelled]).networks["lan-b"].kind == "hub", \
        "where the bridge cannot be read, the lab's own label says hub"


def test_nodes_roles_health_and_interfaces():
    lab = build()
    assert list(lab.nodes) == ["alice", "bob", "dhcp", "router"], "nodes are Compose service names, sorted"
    router = lab.nodes["router"]
    assert router.role == "router" and lab.nodes["alice"].role == "host" and lab.nodes["dhcp"].role == "dhcp", \
        "the role follows the image: router, dhcp, dns, host"
    assert router.interfaces == (inv.Interface("lan-a", "02:42:ac:17:07:01", "172.23.7.1"),
                                 inv.Interface("svc", "02:42:ac:17:00:01", "172.23.0.1")), \
        "one interface per network, by compose name, MACs in lower case"
    assert (lab.nodes["bob"].running, lab.nodes["bob"].health) == (False, "exited"), \
        "a stopped node says so (the web view greys it)"
    assert lab.nodes["dhcp"].health == "starting", "the Docker healthcheck's state is the health"


def test_the_role_is_the_label():
    special = container("edge", "lanlab/lab:lw", {}, labels={"lanlab.role": "firewall"})
    assert build(containers=[special]).nodes["edge"].role == "firewall", "the label says the role, whatever it is"
    other = container("tool", "lanlab/lab:lw", {})
    assert build(containers=[other]).nodes["tool"].role == "other", "a container started without a role is 'other'"


def test_node_by_mac():
    lab = build()
    assert lab.node_by_mac("02:42:AC:17:07:14") == "alice", "MAC is the key: hosts' leased IPs are not Docker's"
    assert lab.node_by_mac("02:42:ac:17:00:01") == "router", "each of the router's MACs names the router"
    assert lab.node_by_mac("02:42:ac:17:07:fe") is None, "an unknown MAC (the host's bridge) is None"


def test_to_json_is_plain_json():
    data = json.loads(json.dumps(build().to_json()))
    assert data["project"] == "lw", "the project is in the JSON"
    assert data["networks"]["lan-a"]["bridge"] == "br-64fdabdb455b", "networks as objects by name"
    assert data["nodes"]["router"]["interfaces"][1] == {"network": "svc", "mac": "02:42:ac:17:00:01",
                                                          "docker_ip": "172.23.0.1"}, "interfaces as a list"


def test_inventory_asks_docker_by_project_label(monkeypatch):
    calls = []

    def fake_docker(*args, gone_ok=False):
        calls.append(args)
        if args[:2] == ("ps", "-aq"):
            return "c1\nc2\n"
        if args[:2] == ("network", "ls"):
            return "n1\n"
        if args[:2] == ("network", "inspect"):
            return json.dumps(NETWORKS[:1])
        return json.dumps(CONTAINERS[:2])

    monkeypatch.setattr(inv, "docker", fake_docker)
    lab = inv.inventory("lw")
    assert ("ps", "-aq", "--filter", "label=com.docker.compose.project=lw") in calls, \
        "containers are found by the compose project label, never by name"
    assert ("inspect", "c1", "c2") in calls, "one docker inspect for all containers"
    assert set(lab.nodes) == {"router", "alice"}, "nodes come from docker inspect"


def test_empty_lab_is_empty(monkeypatch):
    monkeypatch.setattr(inv, "docker", lambda *args, gone_ok=False: "")
    lab = inv.inventory("nothing")
    assert (lab.networks, lab.nodes) == ({}, {}), "a lab that is not up has no nodes (callers say so)"


def test_docker_failure_is_one_line(monkeypatch):
    monkeypatch.setattr(inv.subprocess, "run", lambda *a, **k: type(
        "R", (), {"returncode": 1, "stdout": "", "stderr": "Cannot connect to the Docker daemon\n"})())
    with pytest.raises(LabError, match="Cannot connect to the Docker daemon"):
        inv.inventory("lw")


def test_removed_while_listed_is_left_out(monkeypatch):
    monkeypatch.setattr(inv.subprocess, "run", lambda *a, **k: type(
        "R", (), {"returncode": 1, "stdout": json.dumps(CONTAINERS[:1]), "stderr": "Error: No such object: c9"})())
    assert len(inv.inspect(["c1", "c9"], "container")) == 1, \
        "a container removed between `ps` and `inspect` is skipped, not an error"
