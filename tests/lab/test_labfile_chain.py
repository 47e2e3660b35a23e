"""Two routers in a chain, from tests/labs/chain.yaml (started and removed here):

    left 172.25.20.0/25 -- r1 -- core 172.25.21.0/30 -- r2 -- right 10.25.0.0/16
                            |
                           svc 172.25.22.0/24 (dhcp, dns)

Static routes computed from the file carry alice's packets through both routers; leases
carry the right mask on a /25 and a /16; every router interface has a name; a /25's
addresses have reverse names. Its project is LANLAB_PROJECT-chain.
"""
from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from lanlab import contracts
from lanlab.control.lab import Lab
from lanlab.control.probe import Node

LAB_FILE = Path(__file__).resolve().parents[1] / "labs" / "chain.yaml"


@pytest.fixture(scope="module")
def chain(labfile_lab):
    return labfile_lab



def lease_of(lab: Lab, host: str) -> ipaddress.IPv4Interface:
    out = Node(lab, host).sh(f"cat {contracts.LEASE}").out.split()
    assert out, f"{host} must hold a DHCP lease (/run/lanlab/lease is empty)"
    return ipaddress.ip_interface(out[0])


def test_traceroute_crosses_both_routers(chain):
    carol = lease_of(chain, "carol").ip
    result = Node(chain, "alice").sh(f"traceroute -n -w 1 -q 1 -m 5 {carol}")
    hops = [line.split()[1] for line in result.out.splitlines()[1:] if len(line.split()) > 1]
    assert hops == ["172.25.20.1", "172.25.21.2", str(carol)], \
        f"alice -> carol must go through r1 (its left address) and then r2 (its core address), " \
        f"the path the static routes computed from the file give\n{result.out}{result.err}"


def test_a_packet_arrives_with_ttl_62(chain):
    alice = lease_of(chain, "alice").ip
    result = Node(chain, "carol").sh(f"ping -c 1 -W 2 {alice}")
    assert result.ok and "ttl=62" in result.out, \
        f"two routers each take one from the TTL of 64 that alice's reply starts with\n{result.out}{result.err}"


def test_leases_carry_the_mask_of_their_subnet(chain):
    assert lease_of(chain, "bob").network == ipaddress.ip_network("172.25.20.0/25"), \
        "bob on the /25 must get a 255.255.255.128 mask from the DHCP server, relayed by r1"
    assert lease_of(chain, "alice") == ipaddress.ip_interface("172.25.20.20/25"), \
        "alice's reservation is kept, with the /25 mask"
    carol = lease_of(chain, "carol")
    assert carol.network == ipaddress.ip_network("10.25.0.0/16"), \
        "carol on the /16 must get a 255.255.0.0 mask, relayed by r2 across r1"
    assert ipaddress.ip_address("10.25.100.0") <= carol.ip <= ipaddress.ip_address("10.25.199.255"), \
        f"carol's address {carol.ip} must come from the /16's pool (docs/labs.md: .100.0-.199.255)"


@pytest.mark.parametrize("name,address", [
    ("r1-left", "172.25.20.1"), ("r1-core", "172.25.21.1"), ("r1-svc", "172.25.22.1"),
    ("r2-core", "172.25.21.2"), ("r2-right", "10.25.0.1")])
def test_every_router_interface_has_a_name(chain, name, address):
    result = Node(chain, "bob").sh(f"dig +short {name}.lab.internal")
    assert result.out.split() == [address], \
        f"{name}.lab.internal must resolve to {address} at the lab's DNS server\n{result.out}{result.err}"


def test_reverse_lookups_on_a_slash_25(chain):
    for address, name in (("172.25.20.1", "r1-left.lab.internal."), ("172.25.20.20", "alice.lab.internal.")):
        result = Node(chain, "carol").sh(f"dig +short -x {address}")
        assert result.out.split() == [name], \
            f"{address} on the /25 must have a PTR ({name}): its zone is 20.25.172.in-addr.arpa\n{result.out}{result.err}"


def test_no_router_has_a_route_out_of_the_lab(chain):
    for router in ("r1", "r2"):
        result = Node(chain, router).sh("ip route get 198.51.100.7")
        assert not result.ok and "unreachable" in (result.out + result.err), \
            f"{router} must have no route out of the lab (asked without sending)\n{result.out}{result.err}"
