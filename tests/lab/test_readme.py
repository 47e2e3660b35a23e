"""The README is the front door: every command of its "First things to try" block is run
here, as written, and checked against what its comment says. The block is read from
README.md itself, so a command added or changed there fails here until it is checked.

The README shows the default addresses (192.168.7, 192.168.13, 10.0.0); a lab with moved
prefixes (LANLAB_LAN_A ...) gets them replaced by its own. Commands that never end by
themselves (ping, tcpdump) run in the background until what they print is seen.
"""
from __future__ import annotations

import ipaddress
import os
import re
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

from lanlab.control.probe import Background, wait_for_log

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## First things to try inside a node"
DEFAULTS = {"lan-a": "192.168.7", "lan-b": "192.168.13", "svc": "10.0.0"}
NODES = ("alice", "bob", "carol", "files", "router", "dhcp", "dns")


def first_things() -> list[tuple[str, str]]:
    """(command, its comment) for every line of the README's first-things block."""
    section = (ROOT / "README.md").read_text().split(SECTION, 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    pairs = []
    for line in block.splitlines():
        if line.strip():
            command, _, comment = line.partition("#")
            pairs.append((command.strip(), comment.strip()))
    return pairs


def in_lab(text: str, plan) -> str:
    """The README's default addresses replaced by this lab's prefixes."""
    for name, default in DEFAULTS.items():
        text = re.sub(rf"\b{re.escape(default)}\.", plan.subnet(name).prefix + ".", text)
    return text


def make(*args: str, stdin: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-s", *args], cwd=ROOT, input=stdin, capture_output=True, text=True,
                          timeout=timeout, env=os.environ)


def address_of(node, name: str) -> str:
    return node(name).ok("ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1").strip()


# --- one check per README line ----------------------------------------------------------

def check_shell(node, plan, command):
    """`make shell NODE=x` is interactive (docker exec -it): run it under a terminal
    (script(1)), type `hostname` and `exit`, for every node the comment names."""
    results = {}

    def shell(name):
        line = command.replace("NODE=alice", f"NODE={name}")
        results[name] = subprocess.run(["script", "-qec", line, "/dev/null"], cwd=ROOT, input="hostname\nexit\n",
                                       capture_output=True, text=True, timeout=60, env=os.environ)

    threads = [threading.Thread(target=shell, args=(name,)) for name in NODES]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for name, result in results.items():
        assert result.returncode == 0, f"`make shell NODE={name}` must open a shell and `exit` must leave it: " \
                                       f"{result.stdout}{result.stderr}"
        assert re.search(rf"^{name}\r?$", result.stdout, re.M), \
            f"the shell of `make shell NODE={name}` must be in {name} (hostname): {result.stdout!r}"


def check_ping(node, plan, command):
    carol = address_of(node, "carol")
    with Background(node("alice"), command) as ping:
        replied = ping.wait_for("icmp_seq=1 ", 15)
        out = ping.output()
    assert replied, f"`{command}` on alice must get replies from carol: {out}"
    assert f"carol.lab.internal ({carol})" in out, f"carol is a name in the lab's DNS, at her lease {carol}: {out}"
    assert "ttl=63" in out, f"the reply crossed one router (TTL 64 -> 63): {out}"


def check_traceroute(node, plan, command):
    out = node("alice").ok(command, timeout=60)
    hops = [line.split() for line in out.splitlines()[1:]]
    router = plan.subnet("lan-a").router
    assert hops and hops[0][1:3] == ["router-lan-a.lab.internal", f"({router})"], \
        f"the first hop is the router's lan-a address, named by the lab's DNS:\n{out}"
    assert hops[-1][1] == "carol.lab.internal", f"and then carol:\n{out}"


def check_ip(node, plan, command):
    out = node("alice").ok(command)
    alice = str(plan.host("alice").reserved)
    assert f"inet {alice}/24 " in out, f"alice holds her lease {alice} with the /24 mask:\n{out}"
    assert f"default via {plan.subnet('lan-a').router} " in out, f"and the default route via the router:\n{out}"
    leases = node("dhcp").ok("python3 -m lanlab.dhcp.leases /var/lib/lanlab/dhcp")
    assert any(line.split()[:2] == [alice, "alice"] and "bound" in line for line in leases.splitlines()), \
        f"and that address is alice's DHCP lease in the server's table:\n{leases}"


def check_resolv(node, plan, command):
    out = node("alice").ok(command)
    assert f"nameserver {plan.dns}" in out.splitlines() and "search lab.internal" in out.splitlines(), \
        f"alice's resolver is the lab's DNS and searches lab.internal, both from DHCP:\n{out}"


def check_dig(node, plan, command):
    out = node("alice").ok(command)
    bob = address_of(node, "bob")
    assert "status: NOERROR" in out, f"`{command}` must be answered, not REFUSED:\n{out}"
    assert re.search(rf"^bob\.lab\.internal\.\s+\d+\s+IN\s+A\s+{re.escape(bob)}$", out, re.M), \
        f"with bob's lease {bob}:\n{out}"
    assert f"SERVER: {plan.dns}#53" in out, f"by the lab's DNS server {plan.dns}:\n{out}"
    alice = plan.host("alice").reserved
    ptr = node("alice").ok(f"dig -x {alice} +short")
    assert ptr.split() == ["alice.lab.internal."], f"and `dig -x {alice}` names alice: {ptr!r}"


def ipcalc_fields(out: str) -> dict[str, str]:
    return {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in out.splitlines())}


def check_ipcalc_24(node, plan, command):
    fields = ipcalc_fields(node("alice").ok(command))
    network = plan.subnet("lan-a").network
    assert fields["Network"].split()[0] == str(network), f"the network of {command.split()[1]}: {fields}"
    assert fields["Broadcast"] == str(network.broadcast_address), f"its broadcast: {fields}"
    assert fields["Hosts"] == "254", f"a /24 holds 254 hosts: {fields}"
    assert fields["Class"].startswith(("A ", "B ", "C ")) and fields["Kind"].startswith("private"), \
        f"the class and that the range is private: {fields}"


def check_ipcalc_16(node, plan, command):
    fields = ipcalc_fields(node("alice").ok(command))
    wide = ipaddress.ip_network(fields["Network"].split()[0])
    carol = ipaddress.ip_address(plan.host("carol").reserved)
    assert wide.prefixlen == 16 and carol in wide, \
        f"at /16 alice's network {wide} holds carol's {carol}: she would look local: {fields}"


def check_chat_send(node, plan, command):
    since = time.time()
    out = node("alice").ok(command)
    assert "sent to bob" in out, f"`{command}` says where it sent: {out}"
    line = wait_for_log(node("bob").container, ": hello", since)
    alice = plan.host("alice").reserved
    assert line and f"({alice} port 9090)" in line, f"`docker logs` of bob shows alice's hello: {line!r}"


def check_chat_broadcast(node, plan, command):
    since = time.time()
    node("alice").ok(command)
    assert wait_for_log(node("bob").container, ": hi all", since), "bob, on alice's subnet, hears the broadcast"
    control = f"after-{uuid.uuid4().hex[:8]}"
    node("alice").ok(f"chat send carol {control}")
    assert wait_for_log(node("carol").container, control, since), \
        "control: carol hears alice's message sent after the broadcast, along the same path"
    assert not wait_for_log(node("carol").container, ": hi all", since, timeout=0), \
        "carol, behind the router, does not hear the broadcast"


def check_fetch(node, plan, command):
    folder = f"/tmp/readme-{uuid.uuid4().hex[:8]}"
    try:
        result = node("alice").sh(f"mkdir -p {folder} && cd {folder} && {command} && stat -c %s big.bin", timeout=300)
    finally:
        node("alice").sh(f"rm -rf {folder}")
    assert result.ok and "sha256 ok" in result.err, f"`{command}` checks size and sha256: {result.out}{result.err}"
    assert result.out.split()[-1] == str(100 * 2 ** 20), f"and writes 100 MiB: {result.out}"


def check_tcpdump(node, plan, command):
    files = address_of(node, "files")
    alice = plan.host("alice").reserved
    with Background(node("router"), command) as tcpdump:
        assert tcpdump.wait_for("listening on", 15), f"tcpdump must start on the router: {tcpdump.output()}"
        fetched = node("alice").sh("fetch files:hello.txt -o /dev/null")
        seen = tcpdump.wait_for(f"> {files}.9090: Flags [S]", 15)
        lines = tcpdump.output().splitlines()
    assert fetched.ok, f"alice's fetch must work: {fetched.err}"
    query = next((i for i, line in enumerate(lines) if f"{alice}." in line and "A? files.lab.internal" in line), None)
    handshake = next((i for i, line in enumerate(lines) if f"{alice}." in line and f"> {files}.9090: Flags [S]" in line),
                     None)
    assert seen and query is not None and handshake is not None and query < handshake, \
        "the router sees alice's DNS question for files, then her SYN to files:9090:\n" + "\n".join(lines[:40])


CHECKS = {
    "make shell NODE=alice": check_shell,
    "ping carol": check_ping,
    "traceroute carol": check_traceroute,
    "ip addr; ip route": check_ip,
    "cat /etc/resolv.conf": check_resolv,
    "dig bob": check_dig,
    "ipcalc 192.168.7.20/24": check_ipcalc_24,
    "ipcalc 192.168.7.20 /16": check_ipcalc_16,
    "chat send bob hello": check_chat_send,
    "chat broadcast hi all": check_chat_broadcast,
    "fetch files:big.bin": check_fetch,
    "tcpdump -n -i any": check_tcpdump,
}


def test_every_first_thing_has_its_check():
    commands = [command for command, _ in first_things()]
    assert commands == list(CHECKS), \
        f"the README's first things and this file's checks must be the same list, in order: {commands}"


@pytest.mark.parametrize("command", list(CHECKS))
def test_first_thing_does_what_the_readme_says(node, plan, command):
    CHECKS[command](node, plan, in_lab(command, plan))


# --- the other make targets the README shows, where a test can run them ----------------

def test_make_leases_shows_who_holds_which_address(node, plan):
    result = make("leases")
    assert result.returncode == 0, f"`make leases` must work on the running lab: {result.stderr}"
    rows = {tuple(line.split()[:2]) for line in result.stdout.splitlines()[1:]}
    for name in ("alice", "bob", "carol", "files"):
        assert (address_of(node, name), name) in rows, f"`make leases` shows {name} and its address:\n{result.stdout}"


def test_make_status_lists_every_node(lab):
    result = make("status")
    assert result.returncode == 0, f"`make status` must work on the running lab: {result.stderr}"
    nodes = {line.split()[0] for line in result.stdout.splitlines()[1:] if line.strip()}
    assert nodes >= set(NODES), f"`make status` lists every node: {result.stdout}"


def test_make_logs_shows_every_container(lab):
    result = make("logs")
    assert result.returncode == 0, f"`make logs` must work on the running lab: {result.stderr}"
    for name in NODES:
        assert re.search(rf"^(\S+[-_])?{name}[-_]\d+\s+\|", result.stdout, re.M), f"`make logs` shows {name}'s log"
