"""The router: forwarding on, reverse-path filtering off, one interface per subnet."""
import time

from lanlab.control.probe import lab_interface


def test_forwarding_and_rp_filter(node):
    router = node("router")
    assert router.ok("cat /proc/sys/net/ipv4/ip_forward").strip() == "1", "without forwarding it is not a router"
    assert router.ok("cat /proc/sys/net/ipv4/conf/all/rp_filter").strip() == "0", \
        "rp_filter off: the router must not drop packets whose source it would route elsewhere"


def test_router_holds_dot1_on_every_subnet_found_by_address(node, plan):
    router = node("router")
    seen = set()
    for subnet in plan.subnets:
        interface = lab_interface(router, plan, subnet.name)
        address = interface.address_in(subnet.network)
        assert address.ip == subnet.router, f"the router must be .1 on {subnet.name}, the hosts' gateway"
        seen.add(interface.name)
    assert len(seen) == len(plan.subnets), "one interface per subnet"


def test_every_container_is_healthy(lab):
    """Docker's healthcheck runs every 5 s (compose.yaml): a container restarted by an
    earlier test may not have been checked yet, so allow a few intervals."""
    from lanlab.control.engine import health, name_of
    deadline = time.monotonic() + 30
    while True:
        states = {name_of(c): health(c) for c in lab.containers()}
        if all(state == "healthy" for state in states.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert set(states) >= {"router", "dhcp", "dns", "alice", "bob", "carol", "files"}, states
    assert all(state == "healthy" for state in states.values()), f"ready means every healthcheck passes: {states}"
