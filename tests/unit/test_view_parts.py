"""Small parts of the view: the xterm.js bundle from Debian's modules, the lease table."""
from __future__ import annotations

from lanlab.view import xterm
from lanlab.view.live import parse_leases


def test_bundle_follows_relative_requires(tmp_path):
    (tmp_path / "public").mkdir()
    (tmp_path / "public" / "Terminal.js").write_text('var T = require("../Terminal"); exports.Terminal = T.Terminal;')
    (tmp_path / "Terminal.js").write_text('var s = require("./Strings"); exports.Terminal = function () {};')
    (tmp_path / "Strings.js").write_text("exports.x = 1;")
    (tmp_path / "Unused.js").write_text("throw 1;")
    assert xterm.module_names(tmp_path) == ["Strings", "Terminal", "public/Terminal"], \
        "every module the entry reaches, and only those, goes into the page's script"
    script = xterm.bundle.__wrapped__(tmp_path)
    assert "window.Terminal" in script and "throw 1" not in script, "the script defines window.Terminal"


def test_leases_from_the_table():
    table = """address        host name  client    state    expires
172.28.7.20    alice      id:alice  bound    2026-11-29 19:21:13 UTC (5324 s)
172.28.7.100   bob        id:bob    expired  2026-11-29 17:21:12 UTC
172.28.13.101  -          0a0b      bound    2026-11-29 19:21:12 UTC (5323 s)"""
    assert parse_leases(table) == {"alice": "172.28.7.20"}, \
        "only bound leases with a host name label a node on the map"


def test_ring_is_read_a_chunk_at_a_time(tmp_path):
    from scapy.layers.l2 import Ether
    from scapy.utils import wrpcap

    from lanlab.view.feed import read_chunk
    frames = [Ether(src="02:42:ac:1c:07:14", dst="ff:ff:ff:ff:ff:ff") / (bytes([n]) * 986) for n in range(100)]
    for n, frame in enumerate(frames):
        frame.time = 1795970000 + n / 10
    path = tmp_path / "lan-a.pcap0"
    wrpcap(str(path), frames)
    got, offset, reads = [], 24, 0
    while True:
        records, offset = read_chunk(path, offset, 10_000)
        if not records:
            break
        reads += 1
        assert len(records) <= 10, "one read holds at most a chunk's worth of frames: the server stays small"
        got += records
    assert [data for _, data in got] == [bytes(f) for f in frames], "every frame, whole and in order, across chunks"
    assert abs(got[-1][0] - 1795970009.9) < 1e-3, "the capture's timestamps, for the latency figure"
    assert reads >= 10 and offset == path.stat().st_size, "the file was read in pieces, to its end"


def test_a_die_event_greys_the_node_at_once_and_a_lab_without_running_nodes_is_down():
    import asyncio

    from lanlab.control.inventory import Interface, Inventory, Network, Node
    from lanlab.view.live import LiveLab

    async def main():
        live = LiveLab("lv")
        live.inventory = Inventory("lv", {"lan-a": Network("lan-a", "172.28.7.0/24", "br-a", "switch")},
                                   {"bob": Node("bob", "host", "c3", True, "healthy",
                                                (Interface("lan-a", "02:42:ac:1c:07:64", "172.28.7.230"),))})
        queue = asyncio.Queue(maxsize=4)
        live.subscribers.add(queue)
        event = {"Type": "container", "Action": "die",
                 "Actor": {"Attributes": {"com.docker.compose.service": "bob"}}}
        live.apply(event)
        state = queue.get_nowait()
        assert state["lab"]["nodes"]["bob"]["running"] is False, "bob is grey as soon as Docker says he died"
        assert state["up"] is False, "a lab with no running node is down: the page says so"
        live.apply({**event, "Action": "start"})
        assert queue.get_nowait()["up"] is True, "when a node starts again the lab is up again"
    asyncio.run(main())
