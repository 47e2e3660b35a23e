"""The address plan, and compose.yaml agreeing with it number for number."""
from pathlib import Path

import pytest
import yaml

from lanlab import topology

ROOT = Path(__file__).resolve().parents[2]


def test_default_plan_is_the_issue_table():
    plan = topology.default_plan({})
    assert [str(s.network) for s in plan.subnets] == ["192.168.7.0/24", "192.168.13.0/24", "10.0.0.0/24"], \
        "users, docs and tests all speak of these three subnets"
    assert str(plan.host("alice").reserved) == "192.168.7.20" and str(plan.host("carol").reserved) == "192.168.13.18", \
        "alice and carol carry the course's masking example"
    assert str(plan.dhcp) == "10.0.0.2" and str(plan.dns) == "10.0.0.3"
    assert all(str(s.router).endswith(".1") for s in plan.subnets), "the router is .1 on every subnet"
    assert all(s.bridge not in s.docker_range and s.router not in s.docker_range for s in plan.subnets), \
        "Docker must never hand out the router's or the bridge's address"


def test_prefixes_move_with_the_environment():
    plan = topology.default_plan({"LANLAB_LAN_A": "172.31.7", "LANLAB_SVC": "10.31.0"})
    assert str(plan.host("alice").reserved) == "172.31.7.20", "host numbers stay, prefixes move"
    assert str(plan.dns) == "10.31.0.3"


@pytest.mark.parametrize("env,fragment", [
    ({"LANLAB_LAN_A": "192.168"}, "LANLAB_LAN_A"),
    ({"LANLAB_LAN_B": "192.168.7"}, "overlap"),
    ({"LANLAB_SVC": "10.0.300"}, "LANLAB_SVC"),
])
def test_bad_plans_are_refused_with_one_line(env, fragment):
    with pytest.raises(topology.PlanError) as error:
        topology.default_plan(env)
    assert fragment in str(error.value) and "\n" not in str(error.value)


def compose_with_defaults() -> dict:
    """compose.yaml with every ${VAR:-default} replaced by its default."""
    import re
    text = (ROOT / "compose.yaml").read_text()
    text = re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", text)
    return yaml.safe_load(text)


def test_compose_yaml_matches_the_plan():
    compose, plan = compose_with_defaults(), topology.default_plan({})
    services = compose["services"]
    assert set(services) == {"router", "dhcp", "dns", "alice", "bob", "carol", "files"}, \
        "the service names are the lab's vocabulary"
    for subnet in plan.subnets:
        ipam = compose["networks"][subnet.name]["ipam"]["config"][0]
        assert ipam["subnet"] == str(subnet.network)
        assert ipam["gateway"] == str(subnet.bridge), "Docker's bridge address must not be .1"
        assert ipam["ip_range"] == str(subnet.docker_range)
        assert services["router"]["networks"][subnet.name]["ipv4_address"] == str(subnet.router)
        options = compose["networks"][subnet.name]["driver_opts"]
        assert options["com.docker.network.bridge.enable_ip_masquerade"] == "false", "the lab must not NAT out"
        assert not compose["networks"][subnet.name].get("internal"), \
            "internal networks drop routed traffic when the host filters bridges"
    for host in plan.hosts:
        networks = services[host.name]["networks"]
        assert host.subnet in networks, f"{host.name} belongs on {host.subnet}"
        if host.reserved:
            assert networks[host.subnet]["ipv4_address"] == str(host.reserved)
    assert services["dhcp"]["networks"]["svc"]["ipv4_address"] == str(plan.dhcp)
    assert services["dns"]["networks"]["svc"]["ipv4_address"] == str(plan.dns)
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} needs a healthcheck: ready means ready"
    assert services["router"]["sysctls"]["net.ipv4.ip_forward"] == "1"


def test_dnspython_is_not_shadowed_by_our_dns_folder():
    import dns.message
    assert "site-packages" in dns.message.__file__ or "dist-packages" in dns.message.__file__, \
        f"`import dns` must be dnspython, not the repo's dns/ folder ({dns.message.__file__})"
