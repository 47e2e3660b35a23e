"""What a lab file's router and static hosts do at start, as pure functions: the relay's
links (only where it is the gateway; a server reached by routing), the static routes and
prefix lengths from the environment (lanlab/host/node.py, lanlab/router/program.py)."""
import ipaddress

import pytest

from lanlab.host import node
from lanlab.router import program as relay_loop

IF = ipaddress.ip_interface


def interfaces():
    return [node.Interface("eth0", "02:00:00:00:00:01", (IF("172.25.21.2/29"),)),
            node.Interface("eth1", "02:00:00:00:00:02", (IF("10.25.0.1/16"),)),
            node.Interface("eth2", "02:00:00:00:00:03", (IF("172.25.40.1/24"),))]


def test_a_router_relays_only_where_it_is_the_gateway_and_routes_to_a_far_server():
    links, server_side, target = relay_loop.plan_links(interfaces(), ipaddress.ip_address("172.25.22.2"),
                                                       ["10.25.0.0/16"])
    assert [link.name for link in links] == ["eth1"], \
        "r2 relays for the network it is the gateway of, not for the others it joins"
    assert server_side is None and str(target) == "172.25.22.2", \
        "a server on no interface's subnet is reached by routing, and probed at its own address"


def test_without_a_list_a_router_on_no_server_subnet_is_refused():
    with pytest.raises(node.NodeError):
        relay_loop.plan_links(interfaces(), ipaddress.ip_address("172.25.22.2"))


def test_static_routes_from_the_environment():
    routes = node.parse_static_routes("172.25.20.0/25 via 172.25.21.1; 172.25.22.0/24 via 172.25.21.1")
    assert routes == [(ipaddress.ip_network("172.25.20.0/25"), ipaddress.ip_address("172.25.21.1")),
                      (ipaddress.ip_network("172.25.22.0/24"), ipaddress.ip_address("172.25.21.1"))]
    assert node.parse_static_routes("") == [], "a router with no route to add adds none"
    with pytest.raises(node.NodeError):
        node.parse_static_routes("172.25.20.0/25 through 172.25.21.1")


def test_prefix_lengths_are_set_where_docker_gave_others():
    commands = node.readdress_commands(interfaces(), [IF("172.25.21.2/30"), IF("10.25.0.1/16")])
    assert commands == [["ip", "addr", "del", "172.25.21.2/29", "dev", "eth0"],
                        ["ip", "addr", "add", "172.25.21.2/30", "broadcast", "+", "dev", "eth0"]], \
        "only the address whose length differs (the /30 in Docker's /29) is changed"
