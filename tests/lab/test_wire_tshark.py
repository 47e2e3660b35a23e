"""Our decode against Wireshark's dissectors (tshark, run in a container of the lab's base
image, so nothing is installed on the host), frame by frame, on the same pcap files: the
made-up frames of tests/unit/wire_scenario.py and a real capture of the lab."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from lanlab.control.inventory import inventory
from lanlab.wire.capture import IMAGE, Capture, read_pcap
from lanlab.wire.decode import Decoder, Record

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
import wire_scenario  # noqa: E402

FIELDS = ("eth.src", "eth.dst", "ip.src", "ip.dst", "ip.ttl", "ip.id", "tcp.flags", "tcp.seq", "tcp.ack",
          "tcp.len", "dns.qry.name", "dns.a", "dhcp.option.dhcp", "dhcp.ip.relay", "arp.opcode", "icmp.type",
          "udp.dstport")
DHCP_NAMES = {"1": "DISCOVER", "2": "OFFER", "3": "REQUEST", "5": "ACK", "6": "NAK", "7": "RELEASE"}
TCP_BITS = (("SYN", 0x02), ("FIN", 0x01), ("RST", 0x04), ("PSH", 0x08), ("ACK", 0x10))   # our order


def tshark(folder: Path, name: str) -> list[dict[str, str]]:
    """tshark's reading: one dict per frame, first occurrence of each field."""
    argv = ["docker", "run", "--rm", "-v", f"{folder.resolve()}:/cap:ro", IMAGE, "tshark", "-n", "-r",
            f"/cap/{name}", "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f"]
    for field in FIELDS:
        argv += ["-e", field]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, f"tshark could not read {name}: {result.stderr}"
    return [dict(zip(FIELDS, line.split("\t"))) for line in result.stdout.splitlines()]


def ours(path: Path, network: str) -> list:
    decoder = Decoder(lambda mac: None)
    return [decoder.add(Record(network, t, data)) for t, data in read_pcap(path)]


def agree(frame, theirs: dict[str, str]) -> list[str]:
    """Where our frame and tshark's fields disagree (empty: they agree)."""
    wrong = []
    if theirs["eth.src"] and (frame.src_mac, frame.dst_mac) != (theirs["eth.src"], theirs["eth.dst"]):
        wrong.append("MACs")
    if theirs["ip.src"] and frame.proto != "other":
        if (frame.src_ip, frame.dst_ip, str(frame.ttl), frame.ip_id) != \
                (theirs["ip.src"], theirs["ip.dst"], theirs["ip.ttl"], int(theirs["ip.id"], 16)):
            wrong.append("IP header")
    if theirs["tcp.flags"] and frame.proto == "tcp":
        bits = int(theirs["tcp.flags"], 16)
        flags = "-".join(name for name, bit in TCP_BITS if bits & bit)
        expected = f" {flags} seq={theirs['tcp.seq']}"
        if expected not in frame.summary or f"len={theirs['tcp.len']}" not in frame.summary:
            wrong.append(f"TCP ({expected} len={theirs['tcp.len']})")
        if bits & 0x10 and f"ack={theirs['tcp.ack']}" not in frame.summary:
            wrong.append("TCP ack")
    if theirs["dns.qry.name"] and f"{theirs['dns.qry.name']}" not in frame.summary:
        wrong.append("DNS name")
    if theirs["dns.a"] and f"A {theirs['dns.a']}" not in frame.summary:
        wrong.append("DNS answer")
    if theirs["dhcp.option.dhcp"] and f"DHCP {DHCP_NAMES.get(theirs['dhcp.option.dhcp'], '?')}" not in frame.summary:
        wrong.append("DHCP type")
    relay = theirs["dhcp.ip.relay"]
    if relay and (relay != "0.0.0.0") != (f"giaddr {relay}" in frame.summary):
        wrong.append("DHCP giaddr")
    if theirs["arp.opcode"] and (frame.proto, "who-has" in frame.summary) != ("arp", theirs["arp.opcode"] == "1"):
        wrong.append("ARP")
    if theirs["icmp.type"] and frame.proto != "icmp":
        wrong.append("ICMP")
    return wrong


def compare(folder: Path, network: str) -> int:
    mine, theirs = ours(folder / f"{network}.pcap", network), tshark(folder, f"{network}.pcap")
    assert len(mine) == len(theirs), f"{network}: we read {len(mine)} frames, tshark {len(theirs)}"
    for number, (frame, fields) in enumerate(zip(mine, theirs), 1):
        wrong = agree(frame, fields)
        assert not wrong, f"{network} frame {number} ({frame.summary}): {wrong} differ from tshark's {fields}"
    return len(mine)


def test_made_up_frames_decode_as_tshark_reads_them(tmp_path):
    paths = wire_scenario.write_pcaps(tmp_path)
    total = sum(compare(tmp_path, network) for network in paths)
    assert total == len(wire_scenario.scenario()), "every frame compared, the undecodable ones too"


def test_a_real_capture_counts_and_decodes_as_tshark(lab, node, tmp_path):
    networks = list(inventory(os.environ.get("LANLAB_PROJECT", "lanlab")).networks.values())
    capture = Capture(lab.project, networks, tmp_path).start()
    try:
        fetched = node("alice").ok("fetch files:hello.txt 2>&1 && ping -c 2 -i 0.2 -W 2 files")
        capture.wait_quiet()
    finally:
        stats = capture.stop()
        capture.abandon()
    assert "sha256 ok" in fetched, "the traffic ran"
    assert all(s.dropped == 0 for s in stats.values()), f"no frame dropped by the kernel: {stats}"
    counted = {net.name: compare(tmp_path, net.name) for net in networks}
    assert counted == {name: s.captured for name, s in stats.items()}, \
        f"every frame tcpdump counted is in the file and decoded: {counted} vs {stats}"
    assert counted["lan-a"] > 10 and counted["lan-b"] > 10, f"the fetch's frames were captured: {counted}"
