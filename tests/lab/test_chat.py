"""The UDP chat in the running lab: the listener on every host, `chat send`, `chat broadcast`.

Addresses are read from inside the hosts (Docker's records are not the lab's truth once
DHCP runs). The sender's name in the listener's line comes from reverse DNS: Docker's
embedded DNS until the lab's own DNS lands, the lab's after; either way it names alice.
"""
from __future__ import annotations

import time
import uuid

import pytest

from lanlab.control.probe import wait_for_log

HOSTS = ("alice", "bob", "carol", "files")


def address_of(node, name) -> str:
    out = node(name).ok("ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -1")
    return out.strip()


def token(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}"


def chat_log(node, name: str, since: float) -> str:
    """What the host's listener printed to the container log since `since` (epoch s)."""
    return node(name).container.logs(since=int(since) - 1).decode(errors="replace")


def wait_for_line(node, name: str, text: str, since: float, timeout: float = 10) -> str:
    return wait_for_log(node(name).container, text, since, timeout)


def uses_the_lab_dns(node, plan, host: str) -> None:
    resolv = node(host).ok("cat /etc/resolv.conf")
    servers = [line.split()[1] for line in resolv.splitlines() if line.startswith("nameserver")]
    assert servers == [str(plan.dns)], \
        f"{host} must ask only the lab's DNS {plan.dns} (from DHCP) before any name is looked up: {servers}"


@pytest.mark.parametrize("name", HOSTS)
def test_every_host_listens_on_udp_9090(node, name):
    out = node(name).ok("ss -Hlunp 'sport = :9090'")
    assert ":9090" in out, f"{name} must listen for chat on UDP 9090 from its start: {out!r}"


def test_send_is_shown_with_name_address_and_port(node):
    since, first, second = time.time(), token("hello-bob"), token("again")
    alice, bob = address_of(node, "alice"), address_of(node, "bob")
    node("alice").ok(f"chat send {bob} {first}")
    line = wait_for_line(node, "bob", first, since)
    assert line, f"bob's container log must show alice's message {first!r}"
    assert f"{alice} port 9090" in line, \
        f"the line gives alice's address and port 9090 (chat sends from 9090): {line!r}"
    # The listener waits only briefly for a reverse lookup and shows the address meanwhile;
    # the name it then learns is used for the next message: send until one is named.
    deadline, named = time.monotonic() + 10, ""
    while not named and time.monotonic() < deadline:
        second = token("again")
        node("alice").ok(f"chat send {bob} {second}")
        line = wait_for_line(node, "bob", second, since)
        named = line if "alice" in line.split(f"({alice}")[0] else ""
    assert f"({alice} port 9090)" in named, \
        f"the sender is named by reverse DNS, then address and port: {line!r}"
    logged = node("bob").ok("cat /var/log/lanlab/chat.log")
    assert first in logged and second in logged, "the same messages are written to bob's chat log file"


def test_broadcast_reaches_bob_and_not_carol(node, plan):
    since = time.time()
    control = token("to-carol")
    node("alice").ok(f"chat send {address_of(node, 'carol')} {control}")
    assert wait_for_line(node, "carol", control, since), \
        "control: carol's listener hears alice directly, so silence below means the broadcast stopped"
    text = token("everyone")
    out = node("alice").ok(f"chat broadcast {text}")
    broadcast = plan.subnet(plan.host("alice").subnet).network.broadcast_address
    assert str(broadcast) in out, f"alice sends to her subnet's broadcast address {broadcast}: {out!r}"
    assert wait_for_line(node, "bob", text, since), "bob, on alice's subnet, hears the broadcast"
    # A message alice sends after the broadcast, along the path a forwarded broadcast
    # would take: once it has arrived, the broadcast would have too.
    after = token("after-broadcast")
    for name in ("carol", "files"):
        node("alice").ok(f"chat send {address_of(node, name)} {after}")
        assert wait_for_line(node, name, after, since), f"control: {name} hears alice's message sent after it"
    assert not wait_for_line(node, "carol", text, since, timeout=0), \
        "carol, behind the router, must not: a router does not forward broadcasts"
    assert not wait_for_line(node, "files", text, since, timeout=0), "nor files, on lan-b with carol"


def test_broadcast_address_follows_the_mask(node):
    out = node("alice").ok("ip -4 -o addr show scope global | awk '{print $4}' | head -1")
    expected = node("alice").ok(f"ipcalc {out.strip()} | grep -i broadcast").split()[-1]
    sent = node("alice").ok("chat broadcast mask-check")
    assert expected in sent, f"chat broadcast must use the address ipcalc computes from alice's mask ({expected}): {sent}"


def test_listener_survives_garbage_and_a_flood(node):
    since, text = time.time(), token("after-flood")
    bob = address_of(node, "bob")
    flood = (
        "import socket\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        f"a = ('{bob}', 9090)\n"
        "s.sendto(bytes(range(256)) * 200, a)\n"
        "s.sendto(b'\\x1b[2J\\xff\\xfe', a)\n"
        "for i in range(3000): s.sendto(b'flood %d' % i, a)\n"
    )
    node("alice").ok(f"python3 -c \"{flood}\"", timeout=60)
    # While the flood is still being read, a message is held back with it: send until heard.
    deadline, line = time.monotonic() + 15, ""
    while not line and time.monotonic() < deadline:
        node("alice").ok(f"chat send {bob} {text}")
        line = wait_for_line(node, "bob", text, since, timeout=1)
    assert line, "after garbage and 3000 datagrams the listener still hears a normal message"
    log = chat_log(node, "bob", since)
    assert "not UTF-8, shown escaped" in log, "undecodable bytes are shown escaped, with a note"
    assert "more bytes not shown" in log, "an over-long datagram is cut, with a note"
    assert "messages not shown" in log, "the flood is summed up instead of printed line by line"
    assert log.count("flood ") < 500, "at most a burst of the flood reaches the container log"
    assert "\x1b" not in log, "no terminal escape sequence gets into the log"


def test_chat_by_name(node, plan):
    uses_the_lab_dns(node, plan, "alice")
    since, text = time.time(), token("by-name")
    node("alice").ok(f"chat send carol {text}")
    line = wait_for_line(node, "carol", text, since)
    assert line, "`chat send carol` resolves carol through the lab's DNS"
    assert "alice" in line.split("(")[0], f"and carol's listener names alice by reverse DNS: {line!r}"
