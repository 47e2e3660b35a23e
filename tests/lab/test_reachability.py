"""Who reaches whom: every host pings every other host and its own gateway."""
import itertools

import pytest

from lanlab.control.probe import address_of

HOSTS = ("alice", "bob", "carol", "files")


@pytest.mark.parametrize("name", HOSTS)
def test_host_reaches_its_gateway(node, plan, name):
    gateway = plan.gateway_of(plan.host(name))
    result = node(name).sh(f"ping -c 2 -i 0.2 -W 2 {gateway}")
    assert result.ok, f"{name} cannot ping its gateway {gateway}: the router is every host's way out\n{result.out}"


@pytest.mark.parametrize("src,dst", list(itertools.permutations(HOSTS, 2)))
def test_every_host_reaches_every_other(node, plan, src, dst):
    target = address_of(node(dst), plan, plan.host(dst).subnet)
    result = node(src).sh(f"ping -c 2 -i 0.2 -W 2 {target}")
    assert result.ok, f"{src} cannot ping {dst} ({target}): a lab where hosts cannot talk teaches nothing\n{result.out}"


@pytest.mark.parametrize("name", ("dhcp", "dns"))
def test_services_reach_every_host_subnet(node, plan, name):
    for subnet in plan.host_subnets:
        result = node(name).sh(f"ping -c 1 -W 2 {subnet.router}")
        assert result.ok, f"{name} must reach {subnet.name} through the router (DHCP relays and DNS answers go there)"
