"""The view's server without Docker: a fake lab and a fake capture behind the real app.

Every refusal the lab tests also try (no token, a wrong token, a foreign Host, a foreign
Origin, paths out of the folder) is checked here on the same aiohttp application."""
from __future__ import annotations

import asyncio
import json
import logging
import socket

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from lanlab.control.inventory import Interface, Inventory, Network, Node
from lanlab.view import server
from lanlab.view.frames import FrameHub
from lanlab.view.live import LiveLab

TOKEN = "t0ken-for-tests-only-0123456789abcdef"
ALICE_MAC, ROUTER_MAC = "02:42:ac:1c:07:14", "02:42:ac:1c:07:01"


def lab() -> Inventory:
    return Inventory("lv", {"lan-a": Network("lan-a", "172.28.7.0/24", "br-aaaaaaaaaaaa", "switch")},
                     {"alice": Node("alice", "host", "c1", True, "healthy", (Interface("lan-a", ALICE_MAC, "172.28.7.230"),)),
                      "router": Node("router", "router", "c2", True, "healthy", (Interface("lan-a", ROUTER_MAC, "172.28.7.1"),))})


class FakeLive(LiveLab):
    async def refresh(self):
        self.inventory = lab()
        self.publish()

    async def start(self):
        pass


def frame_bytes(n: int) -> bytes:
    return bytes.fromhex(ROUTER_MAC.replace(":", "")) + bytes.fromhex(ALICE_MAC.replace(":", "")) + b"\x08\x00" + bytes([n]) * 50


class Capture:
    """A capture that yields `count` frames alice -> router, then waits; records its runs."""
    def __init__(self, count: int):
        self.count, self.running = count, 0

    async def __call__(self, inventory, bpf=""):
        self.running += 1
        try:
            for n in range(self.count):
                yield "lan-a", 1795970000.0 + n, frame_bytes(n % 256)
            await asyncio.Event().wait()
        finally:
            self.running -= 1


def decoder(inventory):
    return decode


def decode(network, t, data):
    return {"t": t, "network": network, "src_node": "alice", "dst_node": "router", "proto": "other",
            "summary": f"{len(data)} bytes", "layers": []}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(test, count: int = 3):
    async def main():
        port = free_port()
        live = FakeLive("lv")
        await live.refresh()
        capture = Capture(count)
        view = server.View("lv", "127.0.0.1", port, TOKEN, live, FrameHub(live, capture, decoder))
        async with TestClient(TestServer(server.make_app(view), host="127.0.0.1", port=port)) as client:
            await test(client, view, capture, f"127.0.0.1:{port}")
    asyncio.run(main())


def auth(host: str, **extra) -> dict:
    return {"Host": host, "Authorization": f"Bearer {TOKEN}", **extra}


def test_token_in_url_becomes_a_strict_httponly_cookie():
    async def test(client, view, capture, host):
        answer = await client.get(f"/?token={TOKEN}", headers={"Host": host}, allow_redirects=False)
        assert answer.status == 303 and answer.headers["Location"] == "/", "the token leaves the address bar"
        cookie = answer.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie, f"the cookie is not for scripts or other sites: {cookie}"
        page = await client.get("/", headers={"Host": host})
        assert page.status == 200 and "lanlab" in await page.text(), "with the cookie the page loads"
        lab_json = await (await client.get("/api/lab", headers={"Host": host})).json()
        assert set(lab_json["lab"]["nodes"]) == {"alice", "router"}, "GET /api/lab is the inventory's JSON"
    run(test)


def test_refusals_are_logged(caplog):
    async def test(client, view, capture, host):
        cases = [("/api/lab", {"Host": host}, 403, "no token"),
                 (f"/?token=wrong", {"Host": host}, 403, "a wrong token"),
                 ("/api/lab", {"Host": host, "Cookie": "lanlab_view=wrong"}, 403, "a wrong cookie"),
                 ("/api/lab", auth("evil.example:" + host.split(":")[1]), 403, "a foreign Host (DNS rebinding)"),
                 ("/static/../server.py", auth(host), 404, "a path out of the page's folder"),
                 ("/static/%2e%2e/server.py", auth(host), 404, "an encoded path out of the folder"),
                 ("/static/..%2fserver.py", auth(host), 404, "an encoded slash out of the folder")]
        for path, headers, status, why in cases:
            with caplog.at_level(logging.WARNING, logger="lanlab.view"):
                caplog.clear()
                answer = await client.get(path, headers=headers, allow_redirects=False)
            assert answer.status == status, f"{why} must be refused with {status}, got {answer.status}"
            assert "refused" in caplog.text, f"{why}: every refusal is logged"
    run(test)


def test_foreign_origin_websocket_is_refused():
    async def test(client, view, capture, host):
        for path in ("/api/frames", "/api/live", "/api/term/alice"):
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await client.ws_connect(path, headers=auth(host, Origin="http://evil.example"))
            assert refused.value.status == 403, f"{path} from a foreign page must be refused"
        assert capture.running == 0, "a refused viewer starts no capture"
    run(test)


def test_frames_stream_and_capture_stops_with_the_last_viewer():
    async def test(client, view, capture, host):
        ws = await client.ws_connect("/api/frames", headers=auth(host, Origin=f"http://{host}"))
        kinds = []
        while len([k for k in kinds if k == "frame"]) < 3:
            kinds.append(json.loads((await ws.receive(timeout=5)).data)["kind"])
        assert kinds[0] == "capture" and capture.running == 1, "the first viewer starts the capture"
        await ws.close()
        for _ in range(100):
            if capture.running == 0:
                break
            await asyncio.sleep(0.02)
        assert capture.running == 0, "a closed tab leaves no capture behind"
    run(test)


def test_a_burst_is_sampled():
    async def test(client, view, capture, host):
        ws = await client.ws_connect("/api/frames", headers=auth(host))
        frames = 0
        for _ in range(200):
            message = json.loads((await ws.receive(timeout=5)).data)
            frames += message["kind"] == "frame"
            if message["kind"] == "count":
                break
        assert frames <= view.hub.sampler.per_link + 1, "one link sends at most per_link frames a window"
        await ws.close()
    # the fake capture's 20,000 frames all fall within one second: one window
    view_sampler_window_test = run
    view_sampler_window_test(test, count=20_000)
