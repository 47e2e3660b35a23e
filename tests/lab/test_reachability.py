"""Who reaches whom: every host pings every other host and its own gateway."""
import itertools

import pytest

HOSTS = ("alice", "bob", "carol", "files")


def address_of(node, name) -> str:
    """The address a host really holds (from inside it, not from Docker's records)."""
    out = node(name).ok("ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -1")
    return out.strip()


@pytest.mark.parametrize("name", HOSTS)
def test_host_reaches_its_gateway(node, plan, name):
    gateway = plan.gateway_of(plan.host(name))
    result = node(name).sh(f"ping -c 2 -W 2 {gateway}")
    assert result.ok, f"{name} cannot ping its gateway {gateway}: the router is every host's way out\n{result.out}"


@pytest.mark.parametrize("src,dst", list(itertools.permutations(HOSTS, 2)))
def test_every_host_reaches_every_other(node, src, dst):
    target = address_of(node, dst)
    result = node(src).sh(f"ping -c 2 -W 2 {target}")
    assert result.ok, f"{src} cannot ping {dst} ({target}): a lab where hosts cannot talk teaches nothing\n{result.out}"
