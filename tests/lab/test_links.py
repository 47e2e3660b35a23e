"""`make link` on a running lab: delay, loss, rate, down/up and hub/switch on lan-a.

Each test sets conditions through the Makefile's own target and clears them after, so no
test relies on another. The figures follow from the mechanism: every member delays, drops
or shapes its own egress on the network, so a request and its reply each cross it once.
"""
from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
from pathlib import Path

import pytest

from lanlab.control.probe import Tcpdump, address_of, lab_interface

ROOT = Path(__file__).resolve().parents[2]
NET = "lan-a"


def make_link(*settings: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["make", "-s", "-C", str(ROOT), "link", *settings], capture_output=True,
                            text=True, timeout=120, env=os.environ)
    assert not check or result.returncode == 0, f"`make link {' '.join(settings)}` failed: {result.stderr}"
    return result


@pytest.fixture
def lan_a(lab):
    """lan-a as the test found it: clear and a switch, whatever the test did."""
    make_link(f"NET={NET}", "CLEAR=1", "HUB=0")
    yield NET
    make_link(f"NET={NET}", "CLEAR=1", "HUB=0")


def rtts(node, target: str, count: int = 20) -> list[float]:
    out = node("alice").sh(f"ping -n -c {count} -i 0.05 -W 2 {target}", timeout=60).out
    return [float(x) for x in re.findall(r"time=([\d.]+) ms", out)]


def test_delay_adds_twice_the_delay_to_the_round_trip(lan_a, node, plan):
    bob = address_of(node("bob"), plan, "lan-a")
    before = statistics.median(rtts(node, bob))
    make_link(f"NET={NET}", "DELAY=50ms")
    after = rtts(node, bob)
    assert len(after) >= 18, f"a delay must not lose pings: {len(after)} of 20 came back"
    gained = statistics.median(after) - before
    assert 80 <= gained <= 120, f"alice -> bob and bob -> alice each cross lan-a once: +100 ms +-20%, got +{gained:.1f} ms"
    listing = make_link().stdout
    assert re.search(rf"^{NET}\s.*switch\s+delay 50ms$", listing, re.M), f"`make link` shows the delay:\n{listing}"


def test_delay_covers_what_the_router_forwards(lan_a, node, plan):
    carol = address_of(node("carol"), plan, "lan-b")
    before = statistics.median(rtts(node, carol))
    make_link(f"NET={NET}", "DELAY=30ms")
    gained = statistics.median(rtts(node, carol)) - before
    assert 48 <= gained <= 72, f"the router's forwarded reply crosses lan-a too: +60 ms +-20%, got +{gained:.1f} ms"


def test_loss_of_20_percent_loses_a_third_of_round_trips(lan_a, node, plan):
    bob = address_of(node("bob"), plan, "lan-a")
    make_link(f"NET={NET}", "LOSS=20%")
    out = node("alice").sh(f"ping -n -q -c 200 -i 0.01 -W 1 {bob}", timeout=60).out
    received = int(re.search(r"(\d+) received", out)[1])
    lost = (200 - received) / 200
    assert 0.26 <= lost <= 0.46, f"request and reply each pass with 0.8: 1 - 0.8^2 = 36% lost, got {lost:.0%}"


def test_rate_caps_iperf3(lan_a, node, plan):
    bob = address_of(node("bob"), plan, "lan-a")
    server = node("bob").sh("iperf3 -s -1 -D -p 5299 && echo started")
    assert "started" in server.out, f"iperf3 server on bob: {server.err}"
    make_link(f"NET={NET}", "RATE=10mbit")
    result = node("alice").sh(f"iperf3 -c {bob} -p 5299 -t 4 -J", timeout=30)
    bits = json.loads(result.out)["end"]["sum_received"]["bits_per_second"]
    assert 8e6 <= bits <= 12e6, f"tbf on alice's egress caps her at 10 Mbit/s +-20%, iperf3 saw {bits / 1e6:.1f}"


def test_clear_restores_down_cuts_up_heals(lan_a, node, plan):
    alice, bob = node("alice"), address_of(node("bob"), plan, "lan-a")
    make_link(f"NET={NET}", "DELAY=40ms")
    make_link(f"NET={NET}", "CLEAR=1")
    assert statistics.median(rtts(node, bob, 5)) < 20, "CLEAR takes the 80 ms of delay away"
    make_link(f"NET={NET}", "DOWN=1")
    assert not alice.sh(f"ping -n -c 2 -i 0.2 -W 1 {bob}").ok, "DOWN: nothing crosses lan-a"
    assert "DOWN" in make_link().stdout, "`make link` says the network is down"
    make_link(f"NET={NET}", "UP=1")
    assert alice.sh(f"ping -n -c 1 -w 10 {bob}", timeout=15).ok, "UP heals lan-a"
    route = alice.ok("ip route show default")
    assert f"via {plan.subnet('lan-a').router}" in route, f"UP gives alice her default route back:\n{route}"


def seen_by_bob(node, plan) -> str:
    """What bob's tcpdump shows of alice's unicast pings to the router and one broadcast."""
    alice, bob = node("alice"), node("bob")
    router, alice_ip = plan.subnet("lan-a").router, address_of(alice, plan, "lan-a")
    broadcast = plan.subnet("lan-a").network.broadcast_address
    alice.ok(f"ping -n -c 1 -W 2 {router}")      # the bridge learns both MACs first
    capture = Tcpdump(bob, lab_interface(bob, plan, "lan-a").name, f"icmp and src host {alice_ip}")
    alice.ok(f"ping -n -c 3 -i 0.1 -W 1 {router}")
    alice.sh(f"ping -n -b -c 1 -W 1 {broadcast}")
    return capture.stop()


def test_switch_hides_unicast_and_hub_floods_it_live(lan_a, node, plan):
    router = str(plan.subnet("lan-a").router)
    on_switch = seen_by_bob(node, plan)
    assert "ff:ff:ff:ff:ff:ff" in on_switch, f"a switch floods broadcasts, bob sees alice's:\n{on_switch}"
    assert f"> {router}:" not in on_switch, f"a switch keeps alice's unicast to the router from bob:\n{on_switch}"
    make_link(f"NET={NET}", "HUB=1")
    assert re.search(rf"^{NET}\s.*\bhub\b", make_link().stdout, re.M), "`make link` reads the bridge back as a hub"
    on_hub = seen_by_bob(node, plan)
    assert len(re.findall(rf"> {re.escape(router)}: ICMP echo request", on_hub)) >= 3, \
        f"a hub delivers every frame to every member: bob sees alice's 3 pings to the router (her healthcheck may add one):\n{on_hub}"
    make_link(f"NET={NET}", "HUB=0")
    assert f"> {router}:" not in seen_by_bob(node, plan), "HUB=0 makes lan-a a learning switch again"


def test_bad_input_is_one_line(lab):
    for settings, expected in (((f"NET=nowhere", "DELAY=5ms"), "no network 'nowhere'"),
                               ((f"NET={NET}", "DELAY=soon"), "DELAY='soon'"),
                               ((f"NET={NET}", "LOSS=120%"), "LOSS='120%'"),
                               ((f"NET={NET}", "RATE=fast"), "RATE='fast'"),
                               ((f"NET={NET}", "NODE=carol", "DELAY=5ms"), "'carol' is not on lan-a"),
                               (("DELAY=5ms",), "say which network")):
        result = make_link(*settings, check=False)
        lines = [line for line in result.stderr.splitlines() if line.startswith("lanlab: error:")]
        assert result.returncode != 0 and len(lines) == 1 and expected in lines[0], \
            f"`make link {' '.join(settings)}` must fail in one line naming {expected!r}:\n{result.stderr}"


def readme_link_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Link conditions, hubs and OSPF", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_readme_link_commands_work(lan_a):
    commands = readme_link_commands()
    assert len(commands) >= 8 and all(c.startswith("make link") for c in commands), "the README's make link block"
    for command in commands:
        result = subprocess.run(command, shell=True, cwd=ROOT, capture_output=True, text=True, timeout=180,
                                env=os.environ)
        assert result.returncode == 0, f"README command `{command}` must work as written\n{result.stderr}"
    listing = make_link().stdout
    assert re.search(rf"^{NET}\s.*switch\s+clear$", listing, re.M), \
        f"after the README's commands lan-a is a clean switch again:\n{listing}"
