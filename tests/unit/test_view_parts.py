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
