"""OSPF in a triangle of routers, from tests/labs/ospf-triangle.yaml (started and removed
here unless it runs): FRR's ospfd in r1, r2, r3 with hello 1 s and dead 4 s.

alice (lan1, behind r1) reaches carol (lan2, behind r2) over the direct link ab. Cut ab
(`make link NET=ab DOWN=1`: its interfaces go down, ospfd sees it at once) and traffic
goes r1 -> r3 -> r2 within 5 s; bring it up and it comes back. Drop every frame on ab
of r2 instead (NODE=r2 LOSS=100%, the interfaces stay up): then only r1's dead interval
tells, r2 learns it from r1's next hello, and the traffic still takes the other way within
5 s of the cut (timed from when `make link` returns, a fraction of a second after the rule
is in place).
"""
from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from lanlab.control.execute import exec_in
from lanlab.control.lab import Lab

ROOT = Path(__file__).resolve().parents[2]
LAB_FILE = ROOT / "tests" / "labs" / "ospf-triangle.yaml"
CAROL = "172.26.32.18"
DIRECT, AROUND = "10.26.12.2", "10.26.13.2"     # r2 on ab; r3 on ac


@pytest.fixture(scope="module")
def triangle(labfile_lab) -> Lab:
    wait_for_path(labfile_lab, DIRECT, 60)
    return labfile_lab


@pytest.fixture
def ab(triangle):
    """ab as the test found it, whatever the test did to it."""
    yield "ab"
    make_link("NET=ab", "CLEAR=1")


def make_link(*settings: str) -> None:
    result = subprocess.run(["make", "-s", "-C", str(ROOT), "link", f"LAB={LAB_FILE}", *settings],
                            capture_output=True, text=True, timeout=180, env=os.environ)
    assert result.returncode == 0, f"`make link {' '.join(settings)}` failed: {result.stderr}"


def run(lab: Lab, service: str, script: str, timeout: float = 30):
    return exec_in(lab.container(service), ["sh", "-c", script], timeout=timeout)


def second_hop(lab: Lab) -> str | None:
    out = run(lab, "alice", f"traceroute -n -w 1 -q 1 -m 3 {CAROL}").out
    hops = [line.split()[1] for line in out.splitlines()[1:] if len(line.split()) > 1]
    return hops[1] if len(hops) > 1 else None


def wait_for_path(lab: Lab, hop: str, seconds: float) -> float:
    """Seconds until alice's second hop towards carol is `hop` (fails after `seconds`)."""
    started = time.monotonic()
    while (seen := second_hop(lab)) != hop:
        assert time.monotonic() - started < seconds, \
            f"alice -> carol must go through {hop} within {seconds:g} s; the second hop is {seen}"
    return time.monotonic() - started


def first_reply_after(lab: Lab, limit: float) -> float:
    """Seconds until a ping from alice to carol is answered again (up to `limit`)."""
    out = run(lab, "alice", f"start=$(date +%s.%N); for i in $(seq {int(limit * 10)}); do "
                            f"ping -n -c 1 -W 0.1 {CAROL} >/dev/null && break; done; "
                            f"echo $(date +%s.%N) $start", timeout=limit + 10).out.split()
    return float(out[0]) - float(out[1])


def test_frr_reads_our_configuration_without_complaint(triangle):
    for router in ("r1", "r2", "r3"):
        for check in ("vtysh --dryrun -f /etc/frr/frr.conf", "/usr/lib/frr/ospfd -C -f /etc/frr/ospfd.conf",
                      "/usr/lib/frr/zebra -C -f /etc/frr/zebra.conf"):
            result = run(triangle, router, check)
            said = (result.out + result.err).lower()
            assert result.ok and "error occurred" not in said and "deprecated" not in said \
                and "unknown command" not in said, \
                f"FRR's own parser must accept what we wrote for {router} ({check}):\n{result.out}{result.err}"


def test_every_router_has_its_neighbours_full_with_fast_timers(triangle):
    for router, expected in (("r1", 2), ("r2", 2), ("r3", 2)):
        out = run(triangle, router, "vtysh -c 'show ip ospf neighbor'").out
        assert len(re.findall(r"\bFull/", out)) == expected, \
            f"{router} sits on two router links: two neighbours Full\n{out}"
    timers = run(triangle, "r1", "vtysh -c 'show ip ospf interface'").out
    assert "Hello 1s, Dead 4s" in timers, f"hello 1 s and dead 4 s on every interface:\n{timers}"
    assert "POINTOPOINT" in timers.upper().replace("-", ""), f"two-router links are point-to-point:\n{timers}"


def test_cut_link_reroutes_within_5_s_and_comes_back(triangle, ab, measured):
    make_link("NET=ab", "DOWN=1")
    gap = first_reply_after(triangle, 5)
    assert gap < 5, f"with ab down, alice must reach carol the other way within 5 s, took {gap:.1f} s"
    assert second_hop(triangle) == AROUND, "with ab down the path is r1 -> r3 -> r2"
    make_link("NET=ab", "UP=1")
    back = wait_for_path(triangle, DIRECT, 30)
    measured["ospf: reroute after `make link NET=ab DOWN=1`"] = f"{gap:.2f} s; back after UP=1 in {back:.1f} s"


def test_silent_link_reroutes_after_the_dead_interval(triangle, ab, measured):
    make_link("NET=ab", "NODE=r2", "LOSS=100%")
    gap = first_reply_after(triangle, 6)
    assert gap < 5, f"r2 silent on ab: r1's 4 s dead interval, then one hello, must reroute within 5 s, took {gap:.1f} s"
    assert second_hop(triangle) == AROUND, "with r2 silent on ab the path is r1 -> r3 -> r2"
    measured["ospf: reroute after r2 goes silent on ab (LOSS=100%)"] = f"{gap:.2f} s"
