"""Finding interfaces by subnet from `ip -j` output: names and order are not stable."""
import json

import pytest

from lanlab.host import node

IP_ADDR = json.dumps([
    {"ifname": "lo", "link_type": "loopback", "address": "00:00:00:00:00:00",
     "addr_info": [{"family": "inet", "local": "127.0.0.1", "prefixlen": 8}]},
    {"ifname": "eth1", "link_type": "ether", "address": "02:42:0a:00:00:01",
     "addr_info": [{"family": "inet", "local": "10.0.0.1", "prefixlen": 24},
                   {"family": "inet6", "local": "fe80::1", "prefixlen": 64}]},
    {"ifname": "eth0", "link_type": "ether", "address": "02:42:c0:a8:07:01",
     "addr_info": [{"family": "inet", "local": "192.168.7.1", "prefixlen": 24}]},
])


def test_interface_found_by_subnet_not_by_name():
    interfaces = node.parse_addresses(IP_ADDR)
    assert [i.name for i in interfaces] == ["eth1", "eth0"], "loopback is left out"
    found = node.find_by_subnet(interfaces, "192.168.7.0/24")
    assert found.name == "eth0" and found.mac == "02:42:c0:a8:07:01", "Docker 28 attaches networks in random order"
    assert str(found.address_in(found.addresses[0].network)) == "192.168.7.1/24"


def test_missing_subnet_is_a_clear_error():
    with pytest.raises(node.NodeError, match="no interface has an address in 192.168.13.0/24"):
        node.find_by_subnet(node.parse_addresses(IP_ADDR), "192.168.13.0/24")


def test_default_gateway():
    routes = node.parse_routes(json.dumps([
        {"dst": "default", "gateway": "192.168.7.1", "dev": "eth0"},
        {"dst": "192.168.7.0/24", "dev": "eth0", "prefsrc": "192.168.7.20"}]))
    assert node.default_gateway(routes) == "192.168.7.1"
    assert node.default_gateway([]) is None, "the router has no default route at all"
