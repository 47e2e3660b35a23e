"""Recording socket calls in a running lab: the host side of agent.py.

`record(container, node, command, server=...)` copies the agent and the start-up hook into
the node (a folder of its own under /tmp), runs the command there under strace, with
strace attached to the server if one is named, reads the agent's answer, removes the
folder, and returns the command's output and status with its call events (events.py).
"""
from __future__ import annotations

import io
import json
import secrets
import tarfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from lanlab.control.engine import client
from lanlab.control.errors import LabError
from lanlab.control.execute import exec_in
from lanlab.wire.calls import agent, events, strace
from lanlab.wire.frames import Command

HERE = Path(__file__).resolve().parent
MARGIN = 120  # seconds the agent may take beyond the command's limit (attach, detach, reading)
ATTACH_WAIT = 30


@dataclass
class Server:
    """`SERVER=files:9090`: a node, and the port its server listens on (any if None)."""
    node: str
    port: int | None = None
    proto: str = "tcp"

    @classmethod
    def parse(cls, text: str) -> "Server":
        node, _, port = text.partition(":")
        proto = "tcp"
        if "/" in port:
            port, proto = port.split("/", 1)
        if not node or (port and not port.isdigit()) or proto not in ("tcp", "udp"):
            raise LabError(f"SERVER={text!r}: give node[:port[/udp]], e.g. SERVER=files:9090")
        return cls(node, int(port) if port else None, proto)

    def spec(self) -> str:
        return f"{self.proto}:{self.port}" if self.port else "any:"


@dataclass
class Recording:
    status: int | None
    stdout: str
    stderr: str
    calls: list[dict] = field(default_factory=list)
    timed_out: bool = False
    killed: list[int] = field(default_factory=list)
    detached: bool = True
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # strace's own, the command's
    seconds: float = 0.0     # the command's run time under strace, measured in the node
    parsed: Counter = field(default_factory=Counter)    # syscalls read from strace's output
    left_out: Counter = field(default_factory=Counter)  # socket calls not on TCP/UDP sockets


def traced(container_id: str, node: str, command: str, server: Server | None,
           server_container_id: str | None, timeout: float):
    """`make trace ... CALLS=1`: the command as the trace shows it (lanlab/wire/frames.py's
    Command, wall-clock times) and its call events (wall-clock times too)."""
    containers = client().containers
    started = time.time()
    got = record(containers.get(container_id), node, command, timeout,
                 containers.get(server_container_id) if server_container_id else None, server)
    output = got.stdout + got.stderr
    if got.timed_out:
        output += f"\n(stopped at the time limit of {timeout:.0f} s; the calls up to then are shown)"
    return Command(node, command, None if got.timed_out else got.status, output, started, time.time()), got.calls


def record_in_lab(lab, node: str, command: str, server: str | None = None,
                  timeout: float = 60) -> Recording:
    """`record` by node names: `SERVER=files:9090` is given as server="files:9090"."""
    parsed = Server.parse(server) if server else None
    return record(lab.container(node), node, command, timeout,
                  lab.container(parsed.node) if parsed else None, parsed)


def bundle(folder: str) -> bytes:
    """A tar of the agent and of the hook as sitecustomize.py."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for source, name in ((HERE / "agent.py", "agent.py"), (HERE / "hook.py", agent.HOOK)):
            data = source.read_bytes()
            info = tarfile.TarInfo(f"{folder}/{name}")
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def stop_agent(container, folder: str) -> None:
    """Ctrl-C on the host: the agent in the node detaches, kills what it started, and ends."""
    exec_in(container, ["sh", "-c", f"pid=$(cat {folder}/{agent.PID_FILE} 2>/dev/null) && kill -TERM $pid && "
                        f"while kill -0 $pid 2>/dev/null; do sleep 0.05; done"], timeout=20)


def run_agent(container, spec: dict) -> dict:
    folder = spec["dir"].removeprefix("/tmp/")
    if not container.put_archive("/tmp", bundle(folder)):
        raise LabError(f"cannot copy the call recorder into {container.name}")
    try:
        result = exec_in(container, ["python3", "-S", f"{spec['dir']}/agent.py", json.dumps(spec)],
                         timeout=spec["timeout"] + MARGIN)
    except KeyboardInterrupt:
        stop_agent(container, spec["dir"])
        raise
    finally:
        exec_in(container, ["rm", "-rf", spec["dir"]], timeout=30)
    try:
        return json.loads(result.out)
    except json.JSONDecodeError:
        said = (result.err or result.out or "no answer").strip().splitlines() or ["no answer"]
        raise LabError(f"the call recorder failed in {container.name} (status {result.code}): "
                       f"{said[-1][:200]}") from None


def exit_status(trace: strace.Trace) -> int | None:
    """The command's status: how the first process strace started ended."""
    if not trace.calls and not trace.exits:
        return None
    first = min([c.tid for c in trace.calls] + [e.tid for e in trace.exits])
    for each in trace.exits:
        if each.tid == first:
            return each.status if each.status is not None else 128 + 9 if each.signal == "SIGKILL" else 1
    return None


def record(container, node: str, command: str, timeout: float = 60,
           server_container=None, server: Server | None = None) -> Recording:
    """Run `command` in `container` (node `node`) with its socket calls recorded."""
    spec = {"dir": f"/tmp/lanlab-calls-{secrets.token_hex(4)}", "command": command,
            "timeout": timeout, "server": None}
    if server is not None and server_container.id != container.id:
        return record_with_server(container, node, spec, server_container, server)
    if server is not None:
        spec["server"] = server.spec()
    answer = run_agent(container, spec)
    if answer.get("error"):
        raise LabError(f"{node}: {answer['error']}")
    return recording(answer, node, server.node if server else None)


def recording(answer: dict, node: str, server_node: str | None,
              server_answer: dict | None = None) -> Recording:
    marks = events.read_marks(answer.get("marks", ""))
    trace = strace.parse(answer.get("command_strace", ""))
    left_out = Counter()
    calls = events.build(trace, node, marks, left_out=left_out)
    server_answer = server_answer or answer
    if server_node and server_answer.get("server_strace"):
        known = {int(t): int(p) for t, p in server_answer.get("server_tasks", {}).items()}
        calls += events.build(strace.parse(server_answer["server_strace"]), server_node,
                              known_pids=known, keep_unfinished=False)
    calls.sort(key=lambda e: e["t"])
    return Recording(exit_status(trace), answer.get("stdout", ""), answer.get("stderr", ""),
                     calls, answer.get("timed_out", False), answer.get("killed", []),
                     server_answer.get("detached", True), trace.counts, answer.get("seconds", 0.0),
                     Counter(call.name for call in trace.calls), left_out)


def start_attached(container, spec: dict) -> tuple[threading.Thread, dict]:
    """The agent attached to the server in its node, in the background; returns once it
    has said "attached" (or failed). The thread ends with its answer in result["answer"]."""
    if not container.put_archive("/tmp", bundle(spec["dir"].removeprefix("/tmp/"))):
        raise LabError(f"cannot copy the call recorder into {container.name}")
    api = container.client.api
    argv = ["timeout", "-s", "KILL", str(int(spec["timeout"] + MARGIN)),
            "python3", "-S", f"{spec['dir']}/agent.py", json.dumps(spec)]
    exec_id = api.exec_create(container.id, argv)["Id"]
    stream = api.exec_start(exec_id, stream=True, demux=True)
    result, attached = {"out": b"", "err": b""}, threading.Event()

    def read() -> None:
        for out, err in stream:
            result["out"] += out or b""
            result["err"] += err or b""
            if b"\n" in result["out"] and not attached.is_set():
                attached.set()
        attached.set()
        line = result["out"].decode(errors="replace").strip().splitlines()[-1:]
        try:
            result["answer"] = json.loads(line[0]) if line else {}
        except json.JSONDecodeError:
            result["answer"] = {"error": result["err"].decode(errors="replace").strip()[-300:]}

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    try:
        attached.wait(ATTACH_WAIT)
    except KeyboardInterrupt:          # DIR/done: the agent detaches as soon as it has attached
        finish_attached(container, spec, thread, result)
        raise
    return thread, result


def finish_attached(container, spec: dict, thread: threading.Thread, result: dict) -> dict:
    exec_in(container, ["touch", f"{spec['dir']}/{agent.DONE}"], timeout=30)
    thread.join(spec["timeout"] + MARGIN)
    exec_in(container, ["rm", "-rf", spec["dir"]], timeout=30)
    return result.get("answer", {"error": "the server's recorder did not answer"})


def record_with_server(container, node: str, spec: dict, server_container,
                       server: Server) -> Recording:
    """The server is in another node: attach there first, run the command here, detach."""
    server_spec = {"dir": f"/tmp/lanlab-calls-{secrets.token_hex(4)}", "timeout": spec["timeout"],
                   "server": server.spec(), "command": None}
    thread, result = start_attached(server_container, server_spec)
    if "answer" in result or not result["out"]:   # it ended at once, or never said "attached"
        answer = finish_attached(server_container, server_spec, thread, result)
        raise LabError(f"{server.node}: {answer.get('error') or 'strace did not attach'}")
    try:
        answer = run_agent(container, spec)
    except KeyboardInterrupt:
        stop_agent(server_container, server_spec["dir"])
        raise
    finally:
        server_answer = finish_attached(server_container, server_spec, thread, result)
    for where, failed in ((node, answer), (server.node, server_answer)):
        if failed.get("error"):
            raise LabError(f"{where}: {failed['error']}")
    return recording(answer, node, server.node, server_answer)
