"""The web view in a real browser (headless Chromium via selenium) against the running lab:
the map shows every node, a ping crosses the router frame by frame, the terminal is a
shell in the node, a stopped node turns grey."""
from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from view_browser import browser, view_server, wait_for, wait_until  # noqa: E402,F401

from lanlab.control.inventory import inventory  # noqa: E402

SHOTS = os.environ.get("LANLAB_VIEW_SCREENSHOTS")   # a folder: the README's pictures are taken here


def nodes_on_map(driver) -> set[str]:
    return set(driver.execute_script(
        "return [...document.querySelectorAll('#map [data-node]')].map(e => e.dataset.node)"))


def test_every_node_and_network_is_on_the_map(browser, lab):
    wait_for("the map is drawn", lambda: browser.execute_script(
        "return document.getElementById('map').dataset.ready === 'yes'"))
    lab_now = inventory(lab.project)
    assert nodes_on_map(browser) == set(lab_now.nodes), "every node of the running lab has its place on the map"
    networks = set(browser.execute_script(
        "return [...document.querySelectorAll('#map [data-network]')].map(e => e.dataset.network)"))
    assert networks == set(lab_now.networks), "every network of the lab is drawn"
    assert browser.execute_script("return document.getElementById('status').dataset.status") == "up", \
        "the page says the lab is up"
    if SHOTS:
        browser.save_screenshot(str(Path(SHOTS) / "view-map.png"))


def icmp_rows(driver, address: str) -> list[dict]:
    return driver.execute_script("""
        return [...document.querySelectorAll('#frames tr[data-frame]')]
          .filter(r => r.dataset.proto === 'icmp' && r.dataset.dstIp === arguments[0]
                       && r.textContent.includes('echo request'))
          .map(r => ({id: +r.dataset.frame, network: r.dataset.network, src: r.dataset.src,
                      dst: r.dataset.dst, hop: r.dataset.hop}))""", address)


def test_ping_from_alice_to_carol_shows_on_lan_a_then_lan_b(browser, node):
    wait_for("the capture runs", lambda: browser.execute_script(
        "return document.getElementById('capture').dataset.state === 'running'"))
    carol = node("carol").ok("ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1").split()[0]
    seen_before = {row["id"] for row in icmp_rows(browser, carol)}

    def new_rows():
        rows = [r for r in icmp_rows(browser, carol) if r["id"] not in seen_before]
        return rows if {r["network"] for r in rows} >= {"lan-a", "lan-b"} else None
    # the capture container may still be starting: ping until the page shows the packet
    deadline = time.monotonic() + 60
    rows = None
    while rows is None and time.monotonic() < deadline:
        node("alice").ok("ping -c 1 -W 2 carol")
        rows = wait_until(new_rows, 3.0)
    assert rows, "alice's echo request to carol must appear in the page's frame list"
    first_a = next(r for r in rows if r["network"] == "lan-a")
    same_hop = [r for r in rows if r["network"] == "lan-b" and r["hop"] == first_a["hop"]]
    assert same_hop, f"the packet on lan-b is the same hop as on lan-a (one packet, routed): {rows}"
    first_b = same_hop[0]
    assert first_a["id"] < first_b["id"], "the packet is on lan-a before the router forwards it onto lan-b"
    assert (first_a["src"], first_a["dst"]) == ("alice", "router"), "on lan-a it goes alice -> router"
    assert (first_b["src"], first_b["dst"]) == ("router", "carol"), "on lan-b it goes router -> carol"
    browser.find_element("css selector", f'#frames tr[data-frame="{first_b["id"]}"]').click()
    layers = browser.execute_script(
        "return [...document.querySelectorAll('#layers-body [data-layer]')].map(e => e.dataset.layer)")
    assert layers[:3] == ["Ethernet", "IP", "ICMP"], f"a click shows the frame layer by layer, got {layers}"
    columns = browser.execute_script(
        "return [...document.querySelectorAll('#ladder [data-column]')].map(e => e.dataset.column)")
    assert {"alice", "router", "carol"} <= set(columns), f"the ladder has a column per node of the hop: {columns}"
    if SHOTS:
        browser.save_screenshot(str(Path(SHOTS) / "view-frame.png"))


def answer_lines(text: str, command: str) -> list[str]:
    """The terminal's lines after the command was echoed, without escape sequences."""
    after = text.split(command, 1)[1] if command in text else ""
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", after)
    return [line.strip() for line in re.split(r"[\r\n]+", plain)]


def test_terminal_of_alice_answers_hostname(browser):
    browser.execute_script("document.getElementById('node-close').click()")
    browser.find_element("css selector", '#map [data-node="alice"] circle').click()
    wait_for("alice's terminal shows a prompt", lambda: "alice" in browser.execute_script("return lanlab.termText"))
    browser.find_element("css selector", "#terminal .xterm-helper-textarea").send_keys("hostname\n")
    wait_for("`hostname` typed in the browser answers alice",
             lambda: "alice" in answer_lines(browser.execute_script("return lanlab.termText"), "hostname"))
    addresses = browser.execute_script("return document.querySelector('[data-section=addresses]').textContent")
    assert "inet" in addresses or "/24" in addresses, f"the node panel shows alice's addresses: {addresses!r}"
    browser.execute_script("document.getElementById('node-close').click()")


def test_stopping_bob_turns_him_grey(browser, lab, measured):
    bob = lab.container("bob")
    try:
        bob.stop(timeout=1)
        stopped = time.monotonic()
        wait_for("bob is grey on the map", lambda: browser.execute_script(
            "return document.querySelector('#map [data-node=bob]').dataset.running === 'no'"), timeout=10)
        took = time.monotonic() - stopped
        measured["view: a stopped node grey after"] = f"{took:.2f} s"
        assert took < 2.0, f"a stopped node must turn grey within 2 s (took {took:.2f} s)"
    finally:
        bob.start()
    wait_for("bob is back on the map", lambda: browser.execute_script(
        "return document.querySelector('#map [data-node=bob]').dataset.running === 'yes'"), timeout=30)
    lab.wait(timeout=120)


def test_the_page_says_when_the_lab_is_down_and_comes_back(browser, lab):
    containers = lab.containers(all=False)
    try:
        for container in containers:
            container.stop(timeout=1)
        wait_for("the page says the lab is down", lambda: browser.execute_script(
            "return document.getElementById('status').dataset.status === 'down' && "
            "!document.getElementById('banner').hidden"), timeout=30)
    finally:
        for container in containers:
            container.start()
    wait_for("the page says the lab is up again", lambda: browser.execute_script(
        "return document.getElementById('status').dataset.status === 'up' && "
        "document.getElementById('banner').hidden"), timeout=60)
    lab.wait(timeout=180)
    assert browser.execute_script(
        "return [...document.querySelectorAll('#map [data-node]')].every(e => e.dataset.running === 'yes')"), \
        "every node is drawn running again"
