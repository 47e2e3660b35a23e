"""The ladder (text and SVG), the trace JSON and the trace's choice of frames, from frames
decoded off scapy-made bytes (tests/unit/wire_scenario.py)."""
from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import wire_scenario as lab  # noqa: E402

from lanlab.control.errors import LabError  # noqa: E402
from lanlab.wire import frames as trace_file  # noqa: E402
from lanlab.wire import ladder  # noqa: E402
from lanlab.wire.decode import Record, decode  # noqa: E402
from lanlab.wire.frames import Command, Frame  # noqa: E402
from lanlab.wire.svg import render_svg  # noqa: E402
from lanlab.wire.trace import Options, addresses_of, related, show, show_events  # noqa: E402

MEMBERS = {"lan-a": ["alice", "bob", "router"], "lan-b": ["carol", "files", "router"], "svc": ["dhcp", "dns", "router"]}
CONTRACT = {"kind", "t", "network", "src_node", "dst_node", "src_mac", "dst_mac", "src_ip", "dst_ip", "ttl",
            "ip_id", "proto", "summary", "hop", "layers"}


def frames():
    return decode([Record(net, t, data) for net, t, data in lab.scenario()], lab.name_of)


def events(exit_status=0):
    return [*frames(), Command("alice", "fetch files:hello.txt", exit_status, "fetched\n", 0.0, 0.05, MEMBERS)]


def text_of(evs, numeric=False):
    view = ladder.LadderLab(MEMBERS, addresses_of([e for e in evs if isinstance(e, Frame)]), numeric)
    rows = ladder.rows_of(evs, view)
    return ladder.render_text(rows, ladder.columns_of(rows, "alice"), view)


def test_columns_and_arrows():
    lines = text_of(events()).splitlines()
    assert lines[0].split()[3:] == ["alice", "router", "dhcp", "dns", "files", "bob", "carol", "?"], \
        "one column per node, the traced node first, then in order of appearance"
    syn = next(line for line in lines if "SYN seq=0" in line and "lan-a" in line)
    assert "o-" in syn and "->" in syn and "ttl 64 02:00:00:00:07:14 > 02:00:00:00:07:01" in syn, \
        "an arrow from alice to the router, with TTL and both MACs"
    syn_b = next(line for line in lines if "SYN seq=0" in line and "lan-b" in line)
    assert "+-" in syn_b and "ttl 63" in syn_b, "the same packet leaves the router on lan-b ('+': joined)"


def test_broadcast_reaches_every_member():
    chat = next(line for line in text_of(events()).splitlines() if "chat" in line)
    diagram = chat.split("lan-a", 1)[1]
    assert diagram.count(">") + diagram.count("<") >= 2 and "=" in diagram, \
        "alice's broadcast has a head at bob and at the router ('=' line)"


def test_frames_numbered_and_command_shown():
    lines = text_of(events(exit_status=3)).splitlines()
    numbered = [line for line in lines[1:] if line[:4].strip().isdigit()]
    assert len(numbered) == len(frames()), "every frame is a numbered row"
    assert any("`fetch files:hello.txt` ended: exit 3" in line for line in lines), "a failed command says so"


def test_numeric_names_columns_by_address():
    head = text_of(events(), numeric=True).splitlines()[0]
    assert lab.ALICE in head and "alice" not in head, "-n: addresses instead of names"


def test_unknown_kinds_are_skipped_and_a_new_kind_can_be_drawn():
    extra = {"kind": "mark", "t": 0.0125, "node": "alice", "name": "connect"}
    assert "connect" not in text_of([*events(), extra]), "a kind with no row maker is skipped"

    @ladder.row_maker("mark")
    def mark_row(event, view):
        return ladder.Row(event["t"], event["node"], event["node"], (), f"{event['name']}()", style="note")
    try:
        lines = text_of([*events(), extra]).splitlines()
    finally:
        del ladder.ROW_MAKERS["mark"]
    at = next(i for i, line in enumerate(lines) if "connect()" in line)
    assert "SYN seq=0" in lines[at - 1] or "SYN seq=0" in lines[at - 2], "a call row sits at its time"


def test_detail_layer_by_layer():
    offer = next(f for f in frames() if f.summary.startswith("DHCP OFFER") and f.network == "lan-a")
    text = ladder.render_detail(offer, 4)
    for expected in ("Ethernet", "IP", "UDP", "BOOTP", "giaddr: 172.16.7.1", "message-type: 2",
                     f"router: {lab.ROUTER_A}", "lease_time: 3600"):
        assert expected in text, f"{expected!r} is in the frame's layers"
    answer = next(f for f in frames() if "-> A" in f.summary)
    assert f"name=files.lab.internal, type=A, ttl=60, data={lab.FILES}" in ladder.render_detail(answer, 1), \
        "DNS sections record by record"


def test_svg_is_well_formed_with_one_arrow_per_receiver():
    evs = events()
    view = ladder.LadderLab(MEMBERS)
    rows = ladder.rows_of(evs, view)
    picture = render_svg(rows, ladder.columns_of(rows, "alice"), view, "alice$ fetch", ["fetched"])
    root = ET.fromstring(picture)
    lines = [e for e in root.iter("{http://www.w3.org/2000/svg}line") if e.get("marker-end")]
    expected = sum(len(r.receivers) for r in rows if r.style != "note")
    assert len(lines) == expected, "one arrow per receiver of every frame"
    assert any("hello everyone" in (e.text or "") for e in root.iter("{http://www.w3.org/2000/svg}text")), \
        "the labels are in the picture"


def test_trace_json_has_exactly_the_contract(tmp_path):
    path = tmp_path / "trace.json"
    trace_file.save(events(), path)
    data = json.loads(path.read_text())
    assert {tuple(sorted(e)) for e in data if e["kind"] == "frame"} == {tuple(sorted(CONTRACT))}, \
        "every frame has exactly the documented fields (docs/wire.md)"
    assert data[-1]["kind"] == "command" and data[-1]["exit"] == 0, "the command is an event of its own"
    loaded = trace_file.load(path)
    assert [f.summary for f in loaded if isinstance(f, Frame)] == [f.summary for f in frames()], "round trip"


def test_save_is_whole_or_nothing(tmp_path):
    path = tmp_path / "trace.json"
    with pytest.raises(TypeError):
        trace_file.save([{"kind": "call", "bad": object()}], path)
    assert not list(tmp_path.iterdir()), "no half-written file is left"


def test_show_a_saved_trace_and_a_bad_one(tmp_path, capsys):
    path = tmp_path / "t.json"
    trace_file.save(events(), path)
    show_events(trace_file.load(path), Options(detail="1"))
    out = capsys.readouterr().out
    assert "frame 1: lan-a" in out and "fetch files:hello.txt" in out, "show prints the ladder, output and frame"
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(LabError, match="not a lanlab trace"):
        show(str(tmp_path / "bad.json"), Options())
    with pytest.raises(LabError, match="give 1 to"):
        show(str(path), Options(detail="999"))


def test_related_keeps_alices_frames_only():
    kept = related(frames(), {lab.MACS["alice"]})
    summaries = {(f.network, f.summary) for f in kept}
    assert ("svc", f"DHCP DISCOVER giaddr {lab.ROUTER_A}") in summaries, "the relay's copy for alice's chaddr"
    assert ("lan-b", f"ARP who-has {lab.FILES}? tell {lab.ROUTER_B}") in summaries, \
        "the router's ARP for files, which the packet needed"
    assert not any("id=9" in s for _, s in summaries), "carol's ping has nothing to do with alice"
    assert sum(1 for f in kept if f.network == "lan-b" and f.proto == "tcp") == 8, "every TCP segment on lan-b"


def test_related_leaves_out_arp_with_bystanders():
    from scapy.layers.l2 import ARP, Ether
    extra = [Ether(src=lab.MACS["router-a"], dst=lab.MACS["bob"]) / ARP(op=1, hwsrc=lab.MACS["router-a"],
                                                                        psrc=lab.ROUTER_A, pdst=lab.BOB),
             Ether(src=lab.MACS["bob"], dst=lab.MACS["router-a"]) / ARP(op=2, hwsrc=lab.MACS["bob"], psrc=lab.BOB,
                                                                       hwdst=lab.MACS["router-a"], pdst=lab.ROUTER_A)]
    records = [Record(net, t, data) for net, t, data in lab.scenario()]
    records += [Record("lan-a", lab.T0 + 0.5 + i / 1000, bytes(p)) for i, p in enumerate(extra)]
    kept = related(decode(records, lab.name_of), {lab.MACS["files"]})
    assert not any(lab.BOB in f.summary and f.proto == "arp" for f in kept), \
        "the router checking bob's address has nothing to do with files' fetch"
    assert any(f.summary == f"ARP who-has {lab.FILES}? tell {lab.ROUTER_B}" for f in kept), \
        "the router's ARP for files is part of it"
