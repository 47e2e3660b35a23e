"""Two PCs and a cable, from tests/labs/wire.yaml (started and removed here): a network
with no router and no DHCP server, the PCs' addresses set by the lab file (`static`).
pc1 and pc2 (/24) ping each other; pc3 at 172.25.30.130 with a /25 (a wrong mask on
purpose) cannot reach pc1: by its mask pc1 is on another network and it has no gateway.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from lanlab.control.lab import Lab
from lanlab.control.probe import Node

LAB_FILE = Path(__file__).resolve().parents[1] / "labs" / "wire.yaml"


@pytest.fixture(scope="module")
def wire(labfile_lab):
    return labfile_lab



def test_static_addresses_are_as_written(wire):
    for pc, address in (("pc1", "172.25.30.1/24"), ("pc2", "172.25.30.2/24"), ("pc3", "172.25.30.130/25")):
        result = Node(wire, pc).sh("ip -4 -o addr show scope global")
        assert f" {address} " in result.out and len(result.out.splitlines()) == 1, \
            f"{pc} must hold exactly {address}, as the lab file says, with no DHCP\n{result.out}"


def test_two_static_pcs_ping_each_other(wire):
    for one, other in (("pc1", "172.25.30.2"), ("pc2", "172.25.30.1")):
        result = Node(wire, one).sh(f"ping -c 2 -W 2 {other}")
        assert result.ok, f"{one} and {other} share a /24 on one cable: they must reach each other\n{result.out}"


def test_a_wrong_mask_cannot_reach(wire):
    result = Node(wire, "pc3").sh("ip route get 172.25.30.1")
    assert not result.ok and "unreachable" in (result.out + result.err), \
        f"by its /25, pc3 sees pc1 on another network and has no gateway\n{result.out}{result.err}"
    result = Node(wire, "pc1").sh("ping -c 2 -W 1 172.25.30.130")
    assert not result.ok, \
        f"pc1's ping reaches pc3 on the cable, but pc3 cannot answer: its mask puts pc1 elsewhere\n{result.out}"


def test_the_wire_has_no_way_out(wire):
    result = Node(wire, "pc1").sh("ip route show default")
    assert result.out.strip() == "", "a PC on a wire with no router has no default route (the lab is closed)"
