"""What the view asks inside a node, through the Docker API (the engine's socket):
one-shot commands for the node panel, and an interactive shell on a pseudo-terminal
for the browser's terminal (exec with tty and stdin, the hijacked stream of the
engine's API: raw bytes both ways, no multiplexing header when tty is set)."""
from __future__ import annotations

import asyncio
import codecs
import json
import logging
import socket

import docker.errors

from lanlab.control.engine import client

LOG = logging.getLogger("lanlab.view")
SECTIONS = {  # the node panel: title -> command (each bounded by `timeout` in the node)
    "addresses": "ip -br addr",
    "routes": "ip route",
    "neighbours": "ip neigh",
    "sockets": "ss -H -ltunp",
}
SEPARATOR = "\n--lanlab-view--\n"
SHELL = "echo $$; command -v bash >/dev/null && exec bash -i; exec sh -i"


def run(container_id: str, argv: list[str], timeout: int = 10) -> str | None:
    """A command's stdout, or None if the node is gone or the command failed."""
    try:
        result = client().containers.get(container_id).exec_run(
            ["timeout", "-s", "KILL", str(timeout), *argv], demux=True)
    except (docker.errors.NotFound, docker.errors.APIError):
        return None
    out, _ = result.output or (b"", b"")
    return (out or b"").decode(errors="replace") if result.exit_code == 0 else None


def node_info(container_id: str) -> dict[str, str] | None:
    script = "; ".join(f"{cmd} 2>&1; printf '{SEPARATOR}'" for cmd in SECTIONS.values())
    out = run(container_id, ["sh", "-c", script])
    if out is None:
        return None
    parts = out.split(SEPARATOR)
    return {title: part.strip() for title, part in zip(SECTIONS, parts)}


class Shell:
    """A shell on a pseudo-terminal in one node; close() ends it and everything it started."""

    def __init__(self, container_id: str):
        self.container_id = container_id
        api = client().api
        self.exec_id = api.exec_create(container_id, ["sh", "-c", SHELL], stdin=True, tty=True,
                                       environment={"TERM": "xterm"})["Id"]
        self.stream = api.exec_start(self.exec_id, tty=True, socket=True)
        self.sock: socket.socket = self.stream._sock
        self.sock.setblocking(False)
        self.pid: int | None = None
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.head = ""

    async def read(self) -> str | None:
        """The next output (text), or None at the end. The shell's pid line is kept back."""
        loop = asyncio.get_running_loop()
        while True:
            data = await loop.sock_recv(self.sock, 65536)
            if not data:
                return None
            text = self.decoder.decode(data)
            if self.pid is not None:
                return text
            self.head += text
            line, found, rest = self.head.partition("\n")
            if found:
                self.pid = int(line.strip()) if line.strip().isdigit() else -1
                if rest:
                    return rest

    async def write(self, text: str) -> None:
        await asyncio.get_running_loop().sock_sendall(self.sock, text.encode())

    def read_pid_now(self, timeout: float = 3.0) -> int | None:
        """The shell's first line (its pid), when the page left before it was read."""
        try:
            self.sock.settimeout(timeout)
            while "\n" not in self.head:
                data = self.sock.recv(4096)
                if not data:
                    break
                self.head += self.decoder.decode(data)
        except OSError:
            pass
        line = self.head.partition("\n")[0].strip()
        return int(line) if line.isdigit() else None

    def resize(self, cols: int, rows: int) -> None:
        try:
            client().api.exec_resize(self.exec_id, height=max(rows, 1), width=max(cols, 1))
        except docker.errors.APIError:
            pass

    def close(self) -> None:
        """Hang up the shell (its jobs get SIGHUP), then make sure it is gone."""
        if self.pid is None:
            self.pid = self.read_pid_now()
        try:
            self.sock.close()
        except OSError:
            pass
        if self.pid and self.pid > 0:
            run(self.container_id, ["sh", "-c", f"kill -HUP {self.pid}; sleep 0.3; kill -KILL {self.pid}; true"],
                timeout=5)


def parse_terminal_message(text: str) -> dict:
    """The page sends {"data": "keys"} or {"resize": [cols, rows]}; anything else is ignored."""
    try:
        message = json.loads(text)
    except ValueError:
        return {}
    return message if isinstance(message, dict) else {}
