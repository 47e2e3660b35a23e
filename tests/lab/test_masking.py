"""The subnet mask decides who is "local": the course's masking example, live.

alice is 192.168.7.20 and carol 192.168.13.18: different /24 networks, the same /16.
With a /16 mask alice believes carol is on her own wire, ARPs for her, gets no answer
and never asks the router. Back at /24 she routes through .1 and reaches carol.
"""
import pytest

from lanlab.control.probe import address_of, lab_interface


@pytest.fixture
def alice_at_16(node, plan):
    alice = node("alice")
    interface = lab_interface(alice, plan, "lan-a")
    address = interface.address_in(plan.subnet("lan-a").network)
    gateway = plan.subnet("lan-a").router
    wide = f"{address.ip}/16"
    alice.ok(f"ip addr add {wide} dev {interface.name} && ip addr del {address} dev {interface.name} "
             f"&& ip route replace default via {gateway}")
    try:
        yield alice, interface.name
    finally:
        # Put alice back exactly as she was: /24 and the default route through the router.
        alice.sh(f"ip addr add {address} dev {interface.name}; ip addr del {wide} dev {interface.name}; "
                 f"ip route replace default via {gateway}")
        alice.ok(f"ip -4 addr show dev {interface.name} | grep -q ' {address} '")


def test_slash16_makes_carol_look_local_and_unreachable(alice_at_16, node, plan):
    alice, ifname = alice_at_16
    carol = str(plan.host("carol").reserved)
    route = alice.ok(f"ip route get {carol}")
    assert " via " not in route, f"at /16 the kernel must think carol is on-link (no gateway):\n{route}"
    ping = alice.sh(f"ping -c 2 -i 0.3 -W 1 {carol}")
    assert not ping.ok, "nobody on lan-a answers ARP for carol, so the ping must be lost"
    neigh = alice.ok(f"ip neigh show {carol} dev {ifname}")
    assert "lladdr" not in neigh and ("INCOMPLETE" in neigh or "FAILED" in neigh), \
        f"alice's ARP for carol must stay unanswered:\n{neigh}"


def test_slash24_reaches_carol_through_the_router(node, plan):
    alice = node("alice")
    carol = address_of(node("carol"), plan, "lan-b")
    route = alice.ok(f"ip route get {carol}")
    assert f"via {plan.subnet('lan-a').router}" in route, f"at /24 carol is another network: via the router\n{route}"
    assert alice.sh(f"ping -c 2 -i 0.3 -W 1 {carol}").ok, "at /24 alice reaches carol through the router"
