"""`make view [PORT=8080] [HOST=127.0.0.1]`: the web view's server (aiohttp).

HTTP API (every call needs the token: the cookie the printed URL sets, or
`Authorization: Bearer TOKEN`):

    GET  /                 the page (GET /?token=TOKEN sets the cookie and redirects here)
    GET  /static/PATH      the page's scripts and styles (lanlab/view/static)
    GET  /xterm/xterm.js   xterm.js from Debian's packages (lanlab/view/xterm.py)
    GET  /api/lab          the lab: lanlab.control.inventory's JSON, plus "up" and "leases"
    GET  /api/node/NAME    addresses, routes, neighbours, listening sockets, lease
    WS   /api/live         the lab again each time it changes (docker events)
    WS   /api/frames       frames as docs/wire.md's JSON with "kind": "frame", per-link
                           counts of sampled-away frames ("kind": "count"), capture state;
                           the page may send {"filter": "BPF"} or {"replay": SECONDS}
    WS   /api/term/NAME    a shell in NAME on a pseudo-terminal

Refused (403, or 404 for a path that leaves its folder), each logged in one line: a Host
header that is not this server's address and port, a missing or wrong token, a
WebSocket from a foreign Origin (lanlab/view/guard.py).
"""
from __future__ import annotations

import asyncio
import errno
import json
import logging
import sys
from pathlib import Path

from aiohttp import WSMsgType, web

from lanlab.control.errors import LabError
from lanlab.view import docker_exec, guard, xterm
from lanlab.view.frames import FrameHub
from lanlab.view.live import LiveLab, is_up

LOG = logging.getLogger("lanlab.view")
STATIC = Path(__file__).parent / "static"
VIEW = web.AppKey("view", object)


class View:
    """What one run of the server holds: where it listens, its token, the lab, the frames."""

    def __init__(self, project: str, host: str, port: int, token: str | None = None,
                 live: LiveLab | None = None, hub: FrameHub | None = None):
        self.project, self.host, self.port = project, host, port
        self.token = token or guard.new_token()
        self.live = live or LiveLab(project)
        self.hub = hub
        self.shells: set[docker_exec.Shell] = set()

    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/?token={self.token}"


def refuse(request: web.Request, why: str, status: int = 403) -> web.Response:
    peer = request.remote or "?"
    LOG.warning("lanlab view: refused %s %s from %s: %s", request.method, request.path, peer, why)
    return web.Response(status=status, text=f"refused: {why}\n")


@web.middleware
async def guard_middleware(request: web.Request, handler):
    view: View = request.app[VIEW]
    if not guard.host_ok(request.headers.get("Host"), view.host, view.port):
        return refuse(request, f"Host header {request.headers.get('Host')!r} is not this server")
    if request.path == "/" and "token" in request.query:
        return login(request, view)
    if not guard.token_ok(view.token, request.cookies.get(guard.COOKIE), request.headers.get("Authorization")):
        return refuse(request, "no valid token (open the URL `make view` printed)")
    if request.headers.get("Upgrade", "").lower() == "websocket" and \
            not guard.origin_ok(request.headers.get("Origin"), view.host, view.port):
        return refuse(request, f"WebSocket from foreign Origin {request.headers.get('Origin')!r}")
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return refuse(request, "no such path", status=404)


def login(request: web.Request, view: View) -> web.Response:
    if not guard.token_ok(view.token, request.query.get("token"), None):
        return refuse(request, "wrong token in the URL")
    response = web.Response(status=303, headers={"Location": "/"})
    response.set_cookie(guard.COOKIE, view.token, httponly=True, samesite="Strict", path="/")
    return response


# --- pages and files -------------------------------------------------------------------

async def index(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC / "index.html", headers=NO_STORE)


NO_STORE = {"Cache-Control": "no-store"}


async def static(request: web.Request) -> web.StreamResponse:
    path = guard.inside(STATIC, request.match_info["path"])
    if path is None:
        return refuse(request, "no such file in the page's folder", status=404)
    return web.FileResponse(path, headers=NO_STORE)


async def no_content(request: web.Request) -> web.Response:
    return web.Response(status=204)


async def xterm_js(request: web.Request) -> web.Response:
    try:
        text = xterm.bundle()
    except FileNotFoundError:
        return web.Response(status=503, text=f"xterm.js is missing: {xterm.INSTALL}\n")
    return web.Response(text=text, content_type="application/javascript")


async def xterm_css(request: web.Request) -> web.StreamResponse:
    if not xterm.CSS.is_file():
        return web.Response(status=503, text=f"xterm.css is missing: {xterm.INSTALL}\n")
    return web.FileResponse(xterm.CSS)


# --- the API ---------------------------------------------------------------------------

async def api_lab(request: web.Request) -> web.Response:
    return web.json_response(request.app[VIEW].live.state())


async def api_node(request: web.Request) -> web.Response:
    view: View = request.app[VIEW]
    name = request.match_info["name"]
    node = view.live.inventory.nodes.get(name)
    if node is None:
        return web.json_response({"error": f"no node {name!r} in the lab"}, status=404)
    info = await asyncio.to_thread(docker_exec.node_info, node.container_id) if node.running else None
    lease = view.live.leases.get(name)
    return web.json_response({"name": name, "running": node.running, "lease": lease,
                              "info": info, "error": None if info else "the node does not answer"})


async def open_socket(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(heartbeat=20, max_msg_size=1 << 16)
    await ws.prepare(request)
    return ws


async def ws_live(request: web.Request) -> web.WebSocketResponse:
    view: View = request.app[VIEW]
    ws = await open_socket(request)
    queue: asyncio.Queue = asyncio.Queue(maxsize=4)
    view.live.subscribers.add(queue)
    try:
        await ws.send_json(view.live.state())
        reader = asyncio.create_task(drain(ws))
        while not reader.done():
            getter = asyncio.create_task(queue.get())
            done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                await ws.send_json(getter.result())
            else:
                getter.cancel()
    finally:
        view.live.subscribers.discard(queue)
    return ws


async def drain(ws: web.WebSocketResponse) -> None:
    async for _ in ws:
        pass


async def ws_frames(request: web.Request) -> web.WebSocketResponse:
    view: View = request.app[VIEW]
    ws = await open_socket(request)
    queue = view.hub.join()
    sender = asyncio.create_task(pump(ws, queue))
    try:
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                await frames_request(view, ws, message.data)
    finally:
        sender.cancel()
        await view.hub.leave(queue)
    return ws


async def pump(ws: web.WebSocketResponse, queue: asyncio.Queue) -> None:
    while True:
        await ws.send_str(json.dumps(await queue.get()))


async def frames_request(view: View, ws: web.WebSocketResponse, text: str) -> None:
    message = docker_exec.parse_terminal_message(text)
    if isinstance(message.get("filter"), str):
        view.hub.set_filter(message["filter"])
    if isinstance(message.get("replay"), (int, float)):
        for frame in view.hub.replay(min(float(message["replay"]), 60.0)):
            await ws.send_str(json.dumps({**frame, "replay": True}))


async def ws_term(request: web.Request) -> web.StreamResponse:
    view: View = request.app[VIEW]
    node = view.live.inventory.nodes.get(request.match_info["name"])
    if node is None or not node.running:
        return web.Response(status=404, text="no such running node\n")
    ws = await open_socket(request)
    shell = await asyncio.to_thread(docker_exec.Shell, node.container_id)
    view.shells.add(shell)
    output = asyncio.create_task(shell_to_page(shell, ws))
    try:
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                await page_to_shell(shell, message.data)
    finally:
        output.cancel()
        view.shells.discard(shell)
        await asyncio.to_thread(shell.close)
    return ws


async def shell_to_page(shell: docker_exec.Shell, ws: web.WebSocketResponse) -> None:
    while (text := await shell.read()) is not None:
        await ws.send_str(text)
    await ws.close()


async def page_to_shell(shell: docker_exec.Shell, text: str) -> None:
    message = docker_exec.parse_terminal_message(text)
    if isinstance(message.get("data"), str):
        await shell.write(message["data"])
    size = message.get("resize")
    if isinstance(size, list) and len(size) == 2 and all(isinstance(n, int) for n in size):
        await asyncio.to_thread(shell.resize, *size)


# --- the application -------------------------------------------------------------------

def make_app(view: View) -> web.Application:
    app = web.Application(middlewares=[guard_middleware])
    app[VIEW] = view
    app.router.add_get("/", index)
    app.router.add_get("/favicon.ico", no_content)
    app.router.add_get("/static/{path:.*}", static)
    app.router.add_get("/xterm/xterm.js", xterm_js)
    app.router.add_get("/xterm/xterm.css", xterm_css)
    app.router.add_get("/api/lab", api_lab)
    app.router.add_get("/api/node/{name}", api_node)
    app.router.add_get("/api/live", ws_live)
    app.router.add_get("/api/frames", ws_frames)
    app.router.add_get("/api/term/{name}", ws_term)
    app.on_shutdown.append(shutdown)
    return app


async def shutdown(app: web.Application) -> None:
    view: View = app[VIEW]
    if view.hub is not None:
        await view.hub.stop()
    await view.live.stop()
    for shell in list(view.shells):
        await asyncio.to_thread(shell.close)


def default_hub(live: LiveLab) -> FrameHub:
    from lanlab.view.feed import decoder, source
    return FrameHub(live, source, decoder)


async def serve(view: View, ready: asyncio.Event | None = None) -> None:
    """Start (refusing a lab that is not up, or a port in use), print the URL, run until cancelled."""
    await view.live.refresh()
    if not is_up(view.live.inventory):
        raise LabError(f"lab {view.project!r} is not up; start it with `make up`, then `make view`")
    view.hub = view.hub or default_hub(view.live)
    view.live.on_change = view.hub.lab_changed
    runner = web.AppRunner(make_app(view), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, view.host, view.port).start()
    except OSError as error:
        await runner.cleanup()
        if error.errno == errno.EADDRINUSE:
            raise LabError(f"port {view.port} on {view.host} is in use; choose another: make view PORT=8081") from None
        raise LabError(f"cannot listen on {view.host}:{view.port}: {error.strerror}") from None
    await view.live.start()
    print(f"lanlab: the view of lab {view.project!r}: open {view.url()}", flush=True)
    if ready is not None:
        ready.set()
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main(project: str, host: str = "127.0.0.1", port: int = 8080) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"lanlab: warning: listening on {host}: anyone who can reach it and has the token gets "
              "a shell in every node", file=sys.stderr)
    if host == "localhost":
        host = "127.0.0.1"
    try:
        asyncio.run(serve(View(project, host, port)))
    except KeyboardInterrupt:
        pass
