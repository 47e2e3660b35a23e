"""The view's server against the ways in a lab test can try: no token, a wrong token, a
foreign Host (DNS rebinding), a foreign Origin on every WebSocket and the terminal, paths
out of the page's folder. Each is refused (403 or 404) and logged, and nothing of the lab
changes: no shell starts in a node, no capture starts, no container changes state.
Then: a closed tab leaves no capture and no shell behind; a port in use and a lab that is
not up are refused in one line."""
from __future__ import annotations

import asyncio
import re
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from view_browser import ROOT, capture_containers, new_browser, view_server, wait_for  # noqa: E402,F401

from lanlab.control.inventory import inventory  # noqa: E402


def shells(node) -> int:
    """Interactive shells in a node (the terminal starts `bash -i`)."""
    return int(node("alice").ok("ps -eo args | grep -c '^bash -i' || true").strip() or 0)


def state_of(project: str) -> dict:
    lab = inventory(project)
    return {name: (n.running, n.container_id) for name, n in lab.nodes.items()}


async def try_everything(server) -> list[tuple[str, int, int]]:
    """(what, expected status, got) for each attempt."""
    host, good = f"127.0.0.1:{server.port}", {"Cookie": f"lanlab_view={server.token}"}
    origin = {"Origin": f"http://{host}"}
    results = []
    async with aiohttp.ClientSession(base_url=server.base) as session:
        async def get(what, path, headers, expected):
            async with session.get(path, headers=headers, allow_redirects=False) as answer:
                results.append((what, expected, answer.status))

        async def ws(what, path, headers):
            try:
                async with session.ws_connect(path, headers=headers):
                    results.append((what, 403, 101))
            except aiohttp.WSServerHandshakeError as error:
                results.append((what, 403, error.status))

        await get("no token", "/api/lab", {}, 403)
        await get("no token, the page", "/", {}, 403)
        await get("a wrong token in the URL", "/?token=wrong", {}, 403)
        await get("a wrong cookie", "/api/lab", {"Cookie": "lanlab_view=wrong"}, 403)
        await get("a wrong bearer token", "/api/node/alice", {"Authorization": "Bearer wrong"}, 403)
        await get("a foreign Host", "/api/lab", {**good, "Host": f"rebound.example:{server.port}"}, 403)
        await get("a foreign Host, right token in the URL", f"/?token={server.token}",
                  {"Host": f"rebound.example:{server.port}"}, 403)
        for path in ("/static/..%2f..%2fserver.py", "/static/%2e%2e/server.py", "/static/..%2F__init__.py",
                     "/xterm/..%2f..%2fetc/passwd"):
            await get(f"a path out of the folder {path}", path, good, 404)
        for path in ("/api/frames", "/api/live", "/api/term/alice"):
            await ws(f"{path} from a foreign Origin", path, {**good, "Origin": "http://evil.example"})
            await ws(f"{path} without a token", path, origin)
            await ws(f"{path} with a foreign Host", path, {**good, **origin, "Host": f"evil.example:{server.port}"})
    return results


def raw_get(port: int, path: str, token: str) -> int:
    """A request line sent as is, with the right token (clients clean `..` out of paths)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: lanlab_view={token}\r\n"
                     "Connection: close\r\n\r\n".encode())
        return int(conn.recv(100).split()[1])


def test_every_way_in_without_the_token_or_from_elsewhere_is_refused(view_server, lab, node):
    before, shells_before = state_of(lab.project), shells(node)
    results = asyncio.run(try_everything(view_server))
    for path in ("/static/../server.py", "/static/../../lanlab/control/errors.py"):
        results.append((f"raw {path}", 404, raw_get(view_server.port, path, view_server.token)))
    wrong = [(what, expected, got) for what, expected, got in results if got != expected]
    assert not wrong, f"each of these must be refused: {wrong}"
    refusals = view_server.log_text().count("refused")
    assert refusals >= len(results), f"every refusal is logged ({refusals} lines for {len(results)} attempts)"
    assert state_of(lab.project) == before, "a refused request changes nothing in the lab"
    assert shells(node) == shells_before, "a refused terminal starts no shell"
    assert not capture_containers(lab.project), "a refused frames socket starts no capture"


def test_a_closed_tab_leaves_no_capture_and_no_shell(view_server, lab, node):
    driver = new_browser()
    try:
        driver.get(view_server.url)
        wait_for("the capture starts for the page", lambda: capture_containers(lab.project), timeout=60)
        wait_for("the map is drawn", lambda: driver.execute_script(
            "return document.getElementById('map').dataset.ready === 'yes'"))
        driver.find_element("css selector", '#map [data-node="alice"] circle').click()
        wait_for("alice's shell runs", lambda: shells(node) >= 1, timeout=60)
    finally:
        driver.quit()
    wait_for("the capture stops when the last page is gone", lambda: not capture_containers(lab.project), timeout=60)
    wait_for("alice's shell ends when its tab is gone", lambda: shells(node) == 0, timeout=30)


def run_make(*args: str, project: str) -> subprocess.CompletedProcess:
    """A README command as a user types it."""
    import os
    return subprocess.run(["make", "-s", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "LANLAB_PROJECT": project})


def our_lines(result: subprocess.CompletedProcess) -> list[str]:
    """lanlab's own lines, once it is checked that the command failed with exit 1 (make
    adds its `make: *** [view] Error 1` line below; `make[1]:` when make runs inside make)."""
    lines = [line for line in result.stderr.strip().splitlines() if not re.match(r"make(\[\d+\])?: ", line)]
    assert result.returncode != 0 and "Error 1" in result.stderr, f"lanlab exits 1: {result.stderr!r}"
    assert len(lines) == 1 and lines[0].startswith("lanlab: error: "), f"one `lanlab: error:` line: {lines}"
    return lines


def test_port_in_use_is_one_line(view_server, lab):
    result = run_make("view", f"PORT={view_server.port}", project=lab.project)
    lines = our_lines(result)
    assert str(view_server.port) in lines[0] and "in use" in lines[0], f"the line names the port: {lines[0]}"


def test_a_lab_that_is_not_up_is_one_line(lab):
    result = run_make("view", "PORT=1", project="lv-no-such-lab")
    lines = our_lines(result)
    assert "not up" in lines[0] and "make up" in lines[0], f"the line says what to do: {lines[0]}"


def test_view_deps_finds_its_packages():
    result = run_make("view-deps", project="unused")
    assert result.returncode == 0, f"`make view-deps` installs or finds xterm.js and Chromium: {result.stderr}"
    assert "chromium-driver" in result.stderr, f"it says which packages it checked: {result.stderr!r}"
