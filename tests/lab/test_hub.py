"""A hub beside a switch, from tests/labs/hub.yaml (started and removed here unless it
runs): `kind: hub` makes the network's bridge never learn (ageing time 0) at `make up`,
and the file's `links:` are set at `make up` as `make link` sets them.

On the hub carol's tcpdump sees alice's unicast pings to bob; on the switch frank sees
dan's broadcast but not dan's unicast to erin.
"""
from __future__ import annotations

import os
import re
import statistics
import subprocess
from pathlib import Path

import pytest

from lanlab.control.probe import Node, Tcpdump

ROOT = Path(__file__).resolve().parents[2]
LAB_FILE = ROOT / "tests" / "labs" / "hub.yaml"


@pytest.fixture(scope="module")
def hub_lab(labfile_lab):
    return labfile_lab


def third_sees(lab, sender: str, listener: str, src: str, dst: str) -> str:
    """What `listener` captures of `sender`'s (src) 3 unicast pings to dst and 1 broadcast."""
    talker, hearer = Node(lab, sender), Node(lab, listener)
    prefix = src.rsplit(".", 1)[0]
    interface = hearer.ok(f"ip -o -4 addr show | grep ' {prefix}\\.' | cut -d' ' -f2").strip()
    talker.ok(f"ping -n -c 1 -W 2 {dst}")           # ARP done, a switch has learned both MACs
    capture = Tcpdump(hearer, interface, f"icmp and src host {src}")
    talker.ok(f"ping -n -c 3 -i 0.1 -W 1 {dst}")
    talker.sh(f"ping -n -b -c 1 -W 1 {prefix}.255")
    return capture.stop()


def test_on_a_hub_carol_sees_alice_talk_to_bob(hub_lab):
    seen = third_sees(hub_lab, "alice", "carol", "172.26.40.1", "172.26.40.2")
    assert len(re.findall(r"> 172\.26\.40\.2: ICMP echo request", seen)) == 3, \
        f"a hub repeats every frame to every member: carol sees alice's 3 pings to bob\n{seen}"


def test_on_a_switch_frank_sees_only_broadcasts(hub_lab):
    seen = third_sees(hub_lab, "dan", "frank", "172.26.41.1", "172.26.41.2")
    assert "ff:ff:ff:ff:ff:ff" in seen, f"a switch floods broadcasts: frank sees dan's\n{seen}"
    assert "> 172.26.41.2:" not in seen, f"a switch keeps dan's unicast to erin from frank\n{seen}"


def test_links_from_the_lab_file_are_set_at_make_up(hub_lab):
    out = Node(hub_lab, "dan").ok("ping -n -c 10 -i 0.1 -W 2 172.26.41.2")
    rtt = statistics.median(float(x) for x in re.findall(r"time=([\d.]+) ms", out))
    assert 32 <= rtt <= 48, f"sw1 has delay 20ms in the lab file: dan -> erin -> dan gains 40 ms +-20%, got {rtt:.1f}"
    listing = subprocess.run(["make", "-s", "-C", str(ROOT), "link", f"LAB={LAB_FILE}"], capture_output=True,
                             text=True, timeout=120, env=os.environ).stdout
    assert re.search(r"^hub1\s.*\bhub\s+clear$", listing, re.M), f"`make link` shows hub1 as a hub:\n{listing}"
    assert re.search(r"^sw1\s.*\bswitch\s+delay 20ms$", listing, re.M), f"... and sw1's delay:\n{listing}"
