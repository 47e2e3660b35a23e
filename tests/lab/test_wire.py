"""`make trace` in the running lab: the fetch flow hop by hop, a broadcast that stays on its
subnet, a ping inside one subnet, a DHCP renewal through the relay, and bad input.

Each test runs the command-line front door (`python -m lanlab.control trace`, what
`make trace` runs) and reads the trace JSON it wrote (docs/wire.md).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from lanlab.control.inventory import inventory
from lanlab.wire.capture import CAPTURE_LABEL

ROOT = Path(__file__).resolve().parents[2]


def trace(tmp_path: Path, node: str, cmd: str, *extra: str, check: bool = True) -> tuple[list[dict], str]:
    out = tmp_path / "trace.json"
    result = subprocess.run([sys.executable, "-m", "lanlab.control", "trace", f"--node={node}", f"--cmd={cmd}",
                             f"--json={out}", f"--out={tmp_path / 'pcap'}", *extra],
                            capture_output=True, text=True, timeout=240, cwd=ROOT)
    if check:
        assert result.returncode == 0, f"trace of `{cmd}` failed:\n{result.stdout}\n{result.stderr}"
    events = json.loads(out.read_text()) if out.exists() else []
    return events, result.stdout + result.stderr


def frames_of(events: list[dict]) -> list[dict]:
    return [e for e in events if e["kind"] == "frame"]


def address(node, name: str) -> str:
    return node(name).ok("ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -1").strip()


def macs(name: str) -> dict[str, str]:
    return {i.network: i.mac for i in inventory().nodes[name].interfaces}


def first(frames: list[dict], network: str, test) -> dict:
    found = [f for f in frames if f["network"] == network and test(f)]
    assert found, f"no frame on {network} matching {test.__doc__ or test}"
    return found[0]


def test_fetch_flow_hop_by_hop(lab, node, tmp_path):
    events, printed = trace(tmp_path, "alice", "fetch files:hello.txt")
    frames = frames_of(events)
    files_ip = address(node, "files")
    on_a = [f for f in frames if f["network"] == "lan-a"]
    steps = [("DNS question", lambda f: f["proto"] == "dns" and f["summary"].startswith("DNS A? files.")
              and "->" not in f["summary"]),
             ("DNS answer", lambda f: f["proto"] == "dns" and f["summary"].endswith(f"A {files_ip}")),
             ("SYN", lambda f: " SYN seq=0" in f["summary"] and f["dst_ip"] == files_ip and "> 9090 " in f["summary"]),
             ("SYN-ACK", lambda f: "SYN-ACK" in f["summary"] and f["src_ip"] == files_ip),
             ("ACK", lambda f: " ACK seq=1 ack=1 len=0" in f["summary"] and f["dst_ip"] == files_ip),
             ("data", lambda f: f["proto"] == "tcp" and f["src_ip"] == files_ip and "len=0" not in f["summary"]),
             ("FIN", lambda f: "FIN" in f["summary"])]
    at = -1
    for name, test in steps:
        later = [i for i, f in enumerate(on_a) if i > at and test(f)]
        assert later, f"the {name} must follow the steps before it on lan-a:\n{printed}"
        at = later[0]
    a, b, router = macs("alice"), macs("files"), macs("router")
    crossing = [f for f in on_a if f["proto"] == "tcp"]
    assert crossing, "the TCP segments cross the router"
    for frame in crossing:
        twins = [f for f in frames if f["hop"] == frame["hop"] and f["network"] == "lan-b"]
        assert len(twins) == 1, f"segment {frame['summary']} must be on lan-b once with the same hop"
        twin = twins[0]
        outbound = frame["src_mac"] == a["lan-a"]
        first_leg, second_leg = (frame, twin) if outbound else (twin, frame)
        assert (first_leg["ttl"], second_leg["ttl"]) == (64, 63), f"TTL 64 then 63 for {frame['summary']}"
        expected_src = (a["lan-a"], router["lan-b"]) if outbound else (b["lan-b"], router["lan-a"])
        assert (first_leg["src_mac"], second_leg["src_mac"]) == expected_src, \
            f"the sender's MAC, then the router's, for {frame['summary']}"
    assert "exit status 0" in printed and "sha256 ok" in printed, "the command's output and status are shown"


def test_chat_broadcast_stays_on_lan_a(lab, tmp_path):
    events, printed = trace(tmp_path, "alice", "chat broadcast lanlab-wire-test", "--all=1")
    chat = [f for f in frames_of(events) if "lanlab-wire-test" in f["summary"]]
    assert chat, f"the broadcast is on the wire:\n{printed}"
    assert {f["network"] for f in chat} == {"lan-a"}, "a broadcast is not forwarded: lan-a only"
    assert all(f["dst_node"] == "*" for f in chat), "a broadcast reaches every node: '*'"


def test_ping_inside_one_subnet_is_captured(lab, node, tmp_path):
    bob = address(node, "bob")
    events, printed = trace(tmp_path, "alice", f"ping -c 1 -W 2 {bob}")
    pings = [f for f in frames_of(events) if f["proto"] == "icmp" and bob in (f["src_ip"], f["dst_ip"])]
    assert [(f["src_node"], f["dst_node"], f["network"]) for f in pings] == \
        [("alice", "bob", "lan-a"), ("bob", "alice", "lan-a")], \
        f"the bridge's host side sees frames between two hosts of one subnet:\n{printed}"


# udhcpc's SIGUSR1 renews now; its script rewrites the lease file once the renewal is ACKed.
RENEW = ('t=$(stat -c %y /run/lanlab/lease); kill -USR1 $(pidof busybox); '
         'for i in $(seq 200); do [ "$(stat -c %y /run/lanlab/lease)" = "$t" ] || exit 0; sleep 0.05; done; exit 1')


def test_dhcp_renewal_through_the_relay(lab, node, tmp_path, plan):
    events, printed = trace(tmp_path, "alice", RENEW)
    frames = frames_of(events)
    relay = str(plan.subnet("lan-a").router)
    request_a = first(frames, "lan-a", lambda f: f["summary"].startswith("DHCP REQUEST") and f["src_node"] == "alice"
                      and f["dst_node"] in ("router", "*"))
    request_svc = first(frames, "svc", lambda f: f["summary"].startswith("DHCP REQUEST") and f"giaddr {relay}"
                        in f["summary"] and (f["src_node"], f["dst_node"]) == ("router", "dhcp"))
    ack_svc = first(frames, "svc", lambda f: f["summary"].startswith("DHCP ACK") and f"giaddr {relay}"
                    in f["summary"] and (f["src_node"], f["dst_node"]) == ("dhcp", "router"))
    ack_a = first(frames, "lan-a", lambda f: f["summary"].startswith("DHCP ACK") and f["src_node"] == "router"
                  and f["t"] > ack_svc["t"])
    assert request_a["t"] < request_svc["t"] < ack_svc["t"] < ack_a["t"], \
        f"client -> relay -> server -> relay -> client, in that order:\n{printed}"


def test_failing_command_still_gets_its_ladder(lab, tmp_path):
    events, printed = trace(tmp_path, "alice", "fetch files:no-such-file.txt", check=False)
    command = [e for e in events if e["kind"] == "command"]
    assert command and command[0]["exit"] not in (0, None), f"the failure is recorded:\n{printed}"
    assert any("FILES/1 GET no-such-file.txt" in f["summary"] for f in frames_of(events)), \
        "the request that failed is on the ladder"
    assert "exit status" in printed, "the exit status is printed"


@pytest.mark.parametrize("args, says", [
    (["trace", "--node=eve", "--cmd=true"], "no node 'eve'"),
    (["trace", "--node=alice", "--cmd=true", "--net=lan-z"], "no network 'lan-z'"),
    (["capture", "--seconds=1", "--filter=tcp port"], "rejected by tcpdump"),
    (["capture", "--seconds=1", "--out=/proc/lanlab"], "cannot write captures to OUT=/proc/lanlab"),
])
def test_bad_input_is_one_line_and_leaves_nothing(lab, args, says):
    result = subprocess.run([sys.executable, "-m", "lanlab.control", *args], capture_output=True, text=True,
                            timeout=120, cwd=ROOT)
    lines = [line for line in result.stderr.splitlines() if line.startswith("lanlab: error:")]
    assert result.returncode == 1 and len(lines) == 1 and says in lines[0], \
        f"one clear line and exit 1 for {args}: {result.stderr}"
    assert not leftovers(), "no capture container is left running"


def leftovers() -> list[str]:
    project = os.environ.get("LANLAB_PROJECT", "lanlab")
    return subprocess.run(["docker", "ps", "-aq", "--filter", f"label={CAPTURE_LABEL}={project}"],
                          capture_output=True, text=True).stdout.split()


def test_ctrl_c_during_a_trace_stops_the_command_too(lab, node, tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "lanlab.control", "trace", "--node=alice",
                                "--cmd=sleep 97", f"--out={tmp_path}"], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        for line in process.stderr:
            if "running `sleep 97`" in line:
                break
        running = node("alice").sh("pgrep -f '^sleep 97$'").out
        for _ in range(100):        # the command starts just after the line; wait until it runs
            if running.strip():
                break
            running = node("alice").sh("pgrep -f '^sleep 97$'").out
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=60)
    finally:
        process.kill()
    assert running.strip(), "the command was running when Ctrl-C came"
    assert code == 130, "a trace stopped by Ctrl-C exits 130"
    assert not node("alice").sh("pgrep -f '^sleep 97$'").out.strip(), "the traced command is stopped in the node"
    assert not leftovers(), "no capture container is left"
