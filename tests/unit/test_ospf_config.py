"""frr.conf for `routing: ospf` (lanlab/router/ospf.py), from the lab-file model."""
import ipaddress
from pathlib import Path

import pytest

from lanlab.host import node
from lanlab.control import labfile
from lanlab.router import ospf

TRIANGLE = Path(__file__).resolve().parents[1] / "labs" / "ospf-triangle.yaml"


@pytest.fixture(scope="module")
def triangle():
    return labfile.load(str(TRIANGLE))


def blocks(text: str) -> dict[str, list[str]]:
    """frr.conf's top-level blocks: first line -> its indented lines."""
    result, current = {}, None
    for line in text.splitlines():
        if line.startswith(" ") and current:
            result[current].append(line.strip())
        elif line and line != "!":
            current = line
            result[current] = []
    return result


def test_interfaces_carry_fast_timers_before_router_ospf(triangle):
    text = ospf.config(triangle, "r1")
    parsed = blocks(text)
    interfaces = [k for k in parsed if k.startswith("interface ")]
    assert interfaces == ["interface subnet:172.26.31.0/24", "interface subnet:172.26.30.0/24",
                          "interface subnet:10.26.12.0/30", "interface subnet:10.26.13.0/30"], \
        "one block per network of r1, named by subnet until the router knows its interface names"
    for name in interfaces:
        assert {"ip ospf hello-interval 1", "ip ospf dead-interval 4"} <= set(parsed[name]), \
            f"{name}: hello 1 s / dead 4 s reroute within 5 s"
    assert text.index("interface ") < text.index("router ospf"), \
        "timers set after `router ospf` leave a running interface Waiting: interfaces first"


def test_point_to_point_and_passive(triangle):
    parsed = blocks(ospf.config(triangle, "r1"))
    assert "ip ospf network point-to-point" in parsed["interface subnet:10.26.12.0/30"], "ab joins two routers"
    assert "ip ospf network point-to-point" not in parsed["interface subnet:172.26.31.0/24"], "lan1 has hosts"
    router = parsed["router ospf"]
    assert router[0] == "ospf router-id 172.26.31.1", "the router's first address in the file"
    assert {"timers throttle lsa all 0", "timers lsa min-arrival 0"} <= set(router), \
        "a new adjacency is told to the other routers at once, not 5 s after the router's first LSA"
    assert "passive-interface subnet:172.26.31.0/24" in router and \
        "passive-interface subnet:10.26.12.0/30" not in router, "hellos only where another router listens"
    assert [line for line in router if line.startswith("network")] == [
        "network 172.26.31.0/24 area 0", "network 172.26.30.0/24 area 0",
        "network 10.26.12.0/30 area 0", "network 10.26.13.0/30 area 0"], "every network of r1, one area"


def test_router_names_its_interfaces_by_subnet(triangle):
    interfaces = [node.Interface("eth0", "", (ipaddress.ip_interface("10.26.23.1/30"),)),
                  node.Interface("eth1", "", (ipaddress.ip_interface("10.26.12.2/30"),)),
                  node.Interface("eth2", "", (ipaddress.ip_interface("172.26.32.1/24"),))]
    text = ospf.resolve(ospf.config(triangle, "r2"), interfaces)
    assert "subnet:" not in text, "every placeholder is replaced"
    parsed = blocks(text)
    assert "ip ospf network point-to-point" in parsed["interface eth1"], "eth1 is r2's ab, found by address"
    assert "passive-interface eth2" in parsed["router ospf"], "eth2 is lan2"
    with pytest.raises(ValueError, match="no interface of this router is on 172.26.32.0/24"):
        ospf.resolve(ospf.config(triangle, "r2"), interfaces[:2])


def test_ospfd_is_switched_on():
    daemons = "zebra=yes\nbgpd=no\nospfd=no\nospf6d=no\n"
    assert ospf.enable_ospfd(daemons) == "zebra=yes\nbgpd=no\nospfd=yes\nospf6d=no\n", "only ospfd, not ospf6d"
