"""Nothing in the lab can route out of it. Proven from routing tables, with
`ip route get`, which sends nothing: no test sends a packet outside the lab."""
import ipaddress
import json

import pytest

import docker

OUTSIDE = "198.51.100.7"  # documentation range (RFC 5737): never a real destination
ALL = ("router", "dhcp", "dns", "alice", "bob", "carol", "files")


def test_router_has_no_route_out(node):
    router = node("router")
    assert "default" not in router.ok("ip route show"), "a default route on the router would lead out of the lab"
    result = router.sh(f"ip route get {OUTSIDE}")
    assert not result.ok and "unreachable" in (result.err + result.out).lower(), \
        f"the router must find no route to an outside address: {result.out}{result.err}"


@pytest.mark.parametrize("name", [n for n in ALL if n != "router"])
def test_every_route_goes_through_the_router(node, plan, name):
    routes = json.loads(node(name).ok("ip -j route show"))
    own = [s for s in plan.subnets if any(r.get("dst") == str(s.network) for r in routes)]
    assert len(own) == 1, f"{name} must sit on exactly one lab subnet: {routes}"
    router = str(own[0].router)
    for route in routes:
        if route.get("gateway"):
            assert route["gateway"] == router, f"{name} has a route that avoids the router: {route}"
        else:
            assert ipaddress.ip_network(route["dst"]).subnet_of(own[0].network), \
                f"{name} has an on-link route outside its subnet: {route}"
    out = node(name).ok(f"ip route get {OUTSIDE}")
    assert f"via {router}" in out, f"{name}'s way out must be the router, which has none:\n{out}"


def test_networks_do_not_masquerade(lab, plan):
    client = docker.from_env(version="auto")
    for subnet in plan.subnets:
        networks = client.networks.list(filters={"label": [f"com.docker.compose.project={lab.project}",
                                                           f"com.docker.compose.network={subnet.name}"]})
        assert len(networks) == 1, f"lab network {subnet.name} not found"
        options = networks[0].attrs.get("Options", {})
        assert options.get("com.docker.network.bridge.enable_ip_masquerade") == "false", \
            f"{subnet.name} must not NAT: a masquerading bridge is a way out of the lab"
        gateway = networks[0].attrs["IPAM"]["Config"][0]["Gateway"]
        assert gateway == str(subnet.bridge), f"the bridge must not take .1 (the router's) on {subnet.name}"
