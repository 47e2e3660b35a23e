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
    assert "ip ospf passive" in parsed["interface subnet:172.26.31.0/24"] and \
        "ip ospf passive" not in parsed["interface subnet:10.26.12.0/30"], "hellos only where another router listens"
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
    assert "ip ospf passive" in parsed["interface eth2"], "eth2 is lan2"
    with pytest.raises(ValueError, match="no interface of this router is on 172.26.32.0/24"):
        ospf.resolve(ospf.config(triangle, "r2"), interfaces[:2])


def test_ospfd_is_switched_on():
    daemons = "zebra=yes\nbgpd=no\nospfd=no\nospf6d=no\n"
    assert ospf.enable_ospfd(daemons) == "zebra=yes\nbgpd=no\nospfd=yes\nospf6d=no\n", "only ospfd, not ospf6d"


def test_each_router_expects_every_other_router_on_its_networks(triangle):
    assert [ospf.neighbours(triangle, r) for r in ("r1", "r2", "r3")] == [2, 2, 2], \
        "a triangle: two neighbours each; lan1 and svc (one router) add none"


def neighbour(state: str) -> dict:
    return {"state": state, "address": "10.26.12.2"}


@pytest.mark.parametrize("states, expected, verdict, why", [
    (["Full/-", "Full/-"], 2, True, "both point-to-point neighbours Full"),
    (["Full/-", "Init/-"], 2, False, "a neighbour still in Init is not adjacent"),
    (["Full/-"], 2, False, "one neighbour not heard yet"),
    (["Full/DR", "Full/BDR", "2-Way/DROther"], 3, True,
     "two DROthers on a shared network stay 2-Way for good (RFC 2328 10.4)"),
    (["2-Way/-"], 1, False, "2-Way on a point-to-point link is on its way to Full, not there"),
    ([], 0, True, "a router with no other router on its networks has nothing to wait for"),
])
def test_converged(states, expected, verdict, why):
    report = {"neighbors": {f"10.0.0.{i}": [neighbour(s)] for i, s in enumerate(states)}}
    assert ospf.converged(report, expected) is verdict, why


def test_wait_converged_waits_for_the_neighbours_then_gives_up_loudly():
    reports = iter([{}, {"neighbors": {"1.1.1.1": [neighbour("ExStart/-")]}},
                    {"neighbors": {"1.1.1.1": [neighbour("Full/-")]}}])
    now = [0.0]
    lines = []
    sleep = lambda s: now.__setitem__(0, now[0] + s)      # noqa: E731
    sizes = iter([0, 0, 0, 10, 10, 10, 20] + [20] * 100)    # the log grows twice
    assert ospf.wait_converged(1, lines.append, clock=lambda: now[0], sleep=sleep,
                               report=lambda: next(reports), size=lambda: next(sizes)), \
        "Full on the third look: converged"
    assert now[0] < 1.0, "each growth of FRR's log is looked at at once, not a second later"
    assert lines == [], "a quick convergence says nothing"
    asked = []
    assert not ospf.wait_converged(1, lines.append, timeout=30, clock=lambda: now[0], sleep=sleep,
                                   report=lambda: asked.append(now[0]) or {}, size=lambda: 0), \
        "a neighbour that never comes: give up"
    assert len(asked) <= 32, "with a quiet log, vtysh is asked about once a second, not in a loop"
    assert any("waiting: 0 of 1" in line for line in lines), "a line every 10 s says what is awaited"
    assert "0 of 1 neighbours adjacent after 30 s" in lines[-1], "and the last says the router goes on"


def test_each_daemon_gets_only_the_lines_it_knows(triangle):
    text = ospf.config(triangle, "r1")
    files = ospf.daemon_configs(text)
    assert set(files) == {"zebra", "ospfd"}, "FRR runs zebra and ospfd, each on its own file"
    assert "router ospf" in files["ospfd"] and "interface subnet:10.26.12.0/30" in files["ospfd"], \
        "ospfd gets the interfaces and the OSPF process"
    assert "no ipv6 forwarding" not in files["ospfd"] and "service integrated" not in files["ospfd"], \
        "lines only zebra or vtysh know would be refused by ospfd"
    assert files["zebra"].splitlines() == ["frr defaults traditional", "hostname r1", f"log file {ospf.FRR_LOG}",
                                           "no ipv6 forwarding", "!"], \
        "zebra gets the header and its own line, nothing of OSPF"
    assert "service integrated-vtysh-config" in text, "frr.conf itself stays whole, for vtysh"
