"""The capture's pure parts: the container's script, tcpdump's statistics, pcap reading
(also of a file still being written) and joining a ring. No Docker."""
from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import wire_scenario as lab  # noqa: E402

from lanlab.control.errors import LabError  # noqa: E402
from lanlab.control.inventory import Network  # noqa: E402
from lanlab.wire import capture, choose  # noqa: E402
from lanlab.control.inventory import from_inspect  # noqa: E402

NETS = [Network("lan-a", "172.16.7.0/24", "br-aaaaaaaaaaaa", "switch"),
        Network("svc", "172.16.0.0/24", "br-bbbbbbbbbbbb", "switch")]


def test_script_one_bounded_tcpdump_per_bridge():
    text = capture.script(NETS, "tcp port 9090", 100)
    for net in NETS:
        line = next(li for li in text.splitlines() if f"-i {net.bridge} " in li and " -w " in li)
        for flag in ("-U", "--immediate-mode", "-C 25", "-W 4", "-s 1514", "-Z root", f"-w {net.name}.pcap"):
            assert f"{flag} " in line + " ", f"{flag} in the tcpdump for {net.name}: {line}"
    assert "tcpdump -d" in text, "the filter is checked first, so a bad one fails with tcpdump's words"
    buffered = capture.script(NETS, "", 100, immediate=False)
    assert "-U" not in buffered and "--immediate-mode" not in buffered, \
        "a capture for SECONDS writes in buffers: a write per frame halves a 100 MiB download"


def test_script_quotes_the_filter(tmp_path):
    evil = "tcp port 1; touch " + str(tmp_path / "owned")
    text = capture.script(NETS, evil, 100).replace("tcpdump", "true")
    subprocess.run(["sh", "-c", text.replace(f"cd {capture.INSIDE}/{capture.RING_DIR} || exit 2", "cd /tmp")],
                   capture_output=True, timeout=20)
    assert not (tmp_path / "owned").exists(), "a FILTER is one argument to tcpdump, never shell"


def test_tcpdump_statistics():
    log = ("tcpdump: listening on br-x, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n"
           "1234 packets captured\n1240 packets received by filter\n6 packets dropped by kernel\n")
    assert capture.parse_stats(log) == capture.Stats(1234, 1240, 6), "the three counters tcpdump prints"
    assert capture.first_error("tcpdump: can't parse filter expression: syntax error\n") == \
        "can't parse filter expression: syntax error", "tcpdump's message in one line"


def test_read_pcap_of_a_growing_file(tmp_path):
    frames = [(1.5, b"a" * 60), (2.25, b"b" * 70)]
    whole = lab.pcap_bytes(frames)
    path = tmp_path / "x.pcap"
    path.write_bytes(whole[:-10])
    first, offset = capture.read_pcap_from(path, capture.PCAP_HEADER)
    assert first == [frames[0]], "a record not yet whole is not read"
    path.write_bytes(whole)
    rest, end = capture.read_pcap_from(path, offset)
    assert rest == [frames[1]] and end == len(whole), "it is read once whole, from where we stopped"


def test_read_nanosecond_pcap(tmp_path):
    path = tmp_path / "ns.pcap"
    path.write_bytes(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 1)
                     + struct.pack("<IIII", 10, 500_000_000, 3, 3) + b"abc")
    assert list(capture.read_pcap(path)) == [(10.5, b"abc")], "nanosecond pcaps too"


def test_join_ring_oldest_first(tmp_path):
    ring = tmp_path / ".ring"
    ring.mkdir()
    for index, when in ((0, 3.0), (1, 1.0), (2, 2.0)):
        path = ring / f"lan-a.pcap{index}"
        path.write_bytes(lab.pcap_bytes([(when, bytes([index]) * 60)]))
        os.utime(path, ns=(int(when * 1e9), int(when * 1e9)))
    cap = capture.Capture("p", NETS[:1], tmp_path)
    capture.join_ring(cap.ring_files("lan-a"), tmp_path / "lan-a.pcap")
    assert [t for t, _ in capture.read_pcap(tmp_path / "lan-a.pcap")] == [1.0, 2.0, 3.0], \
        "a wrapped ring is joined from its oldest file"


def test_unwritable_out_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(LabError, match=r"cannot write captures to OUT=.*give a directory"):
        capture.prepare_out(blocker / "sub")


def test_unknown_network_and_node_are_one_line():
    inv = from_inspect("p", [], [{"Name": "p_lan-a", "Id": "a" * 64, "Labels": {"com.docker.compose.network": "lan-a"},
                                   "IPAM": {"Config": [{"Subnet": "172.16.7.0/24"}]}}], ageing=lambda b: None)
    with pytest.raises(LabError, match="no network 'lan-z'.*choose from lan-a"):
        choose.networks(inv, "lan-a,lan-z")
    with pytest.raises(LabError, match="no node 'eve'"):
        choose.node(inv, "eve")
    assert [n.name for n in choose.networks(inv, "all")] == ["lan-a"], "NET=all is every network"


def test_leftover_owner_alive():
    assert capture.alive(capture.owner()), "this process is alive"
    assert not capture.alive(f"{capture.socket.gethostname()}:999999999"), "a gone pid is a leftover"
    assert not capture.alive("elsewhere:1"), "another machine's label is not ours to trust"
