"""The view's access checks (lanlab/view/guard.py): pure, no server."""
from __future__ import annotations

from pathlib import Path

import pytest

from lanlab.view import guard


@pytest.mark.parametrize("header", ["127.0.0.1:8080", "localhost:8080", "LOCALHOST:8080"])
def test_own_host_is_accepted(header):
    assert guard.host_ok(header, "127.0.0.1", 8080), f"{header} names this server; the page must load"


@pytest.mark.parametrize("header", [None, "", "evil.example:8080", "127.0.0.1:8081", "127.0.0.1",
                                    "127.0.0.2:8080", "attacker.localhost:8080", "127.0.0.1:80x"])
def test_foreign_host_is_refused(header):
    assert not guard.host_ok(header, "127.0.0.1", 8080), \
        f"Host {header!r} is not this server: a DNS-rebinding page must be refused"


def test_any_address_binding_accepts_ip_literals_only():
    assert guard.host_ok("192.0.2.10:8080", "0.0.0.0", 8080), "bound to every address, an IP literal is ours"
    assert guard.host_ok("[::1]:8080", "::", 8080), "an IPv6 literal in brackets is an address too"
    assert not guard.host_ok("lab.example:8080", "0.0.0.0", 8080), "a DNS name can be rebound: refused"


def test_origin():
    assert guard.origin_ok(None, "127.0.0.1", 8080), "a tool (no Origin) is not a foreign page"
    assert guard.origin_ok("http://127.0.0.1:8080", "127.0.0.1", 8080), "the page's own origin"
    for origin in ("http://evil.example", "http://127.0.0.1:9999", "null", "https://127.0.0.1:8080"):
        assert not guard.origin_ok(origin, "127.0.0.1", 8080), f"{origin} is a foreign page: refused"


def test_token():
    assert guard.token_ok("abc", "abc", None), "the cookie carries the token"
    assert guard.token_ok("abc", None, "Bearer abc"), "tools send the token as a bearer header"
    for cookie, header in ((None, None), ("", None), ("abd", None), (None, "Bearer abd"), (None, "abc")):
        assert not guard.token_ok("abc", cookie, header), f"{cookie!r}/{header!r} is not the token"
    assert guard.new_token() != guard.new_token(), "every start has its own token"
    assert len(guard.new_token()) >= 32, "the token must not be guessable"


def test_static_paths_stay_in_their_folder(tmp_path: Path):
    (tmp_path / "page").mkdir()
    (tmp_path / "page" / "a.js").write_text("ok")
    (tmp_path / "secret").write_text("no")
    folder = tmp_path / "page"
    assert guard.inside(folder, "a.js") == (folder / "a.js").resolve(), "a file of the folder is served"
    for path in ("../secret", "a.js/../../secret", "/etc/passwd", "", ".", "missing.js", "x\x00"):
        assert guard.inside(folder, path) is None, f"{path!r} leaves the folder or names no file"
