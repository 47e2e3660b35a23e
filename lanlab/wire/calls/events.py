"""Call events: strace's syscalls on network sockets, named after the program's own calls.

One event per socket call (the JSON of docs/wire.md, "Call events"):

    {"kind": "call", "t", "t_end", "node", "pid", "thread", "name", "syscall", "fd",
     "proto", "local", "remote", "args", "result", "error", "file", "line", "hops": [],
     "summary"}

Only TCP and UDP sockets count (IPv4 and IPv6): a read of a file, a Unix socket to nscd,
the netlink question getaddrinfo asks the kernel are not the network's. For a Python
program the start-up hook (hook.py) noted a mark, with the wall-clock time, just before
each call into the socket API: each syscall of the same thread after a mark (strace's
time is taken once the syscall has begun, so after the mark's), of a kind that call makes
(EXPECTED), is that call's, and takes its name (`recv`, not `recvfrom`) and the
program's file and line. The syscalls of one call on one socket make one event
(sendall's several sendto). getaddrinfo is the C library's, not a syscall: its event spans
its two marks, and the resolver's syscalls inside it are folded into it.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from lanlab.wire.calls import strace
from lanlab.wire.calls.strace import Socket, Syscall

CLOCK = 1e-6   # strace prints microseconds: a mark may look up to 1 us later than its syscall
SEND = {"sendto", "send", "write", "writev", "sendmsg"}
RECV = {"recvfrom", "recv", "read", "readv", "recvmsg"}
EXPECTED = {
    "socket": {"socket"}, "bind": {"bind"}, "listen": {"listen"},
    "connect": {"connect"}, "connect_ex": {"connect"}, "accept": {"accept", "accept4"},
    "send": SEND, "sendall": SEND, "sendto": {"sendto"}, "sendmsg": {"sendmsg"},
    "recv": RECV, "recv_into": RECV, "recvfrom": {"recvfrom"}, "recvfrom_into": {"recvfrom"},
    "recvmsg": {"recvmsg"}, "shutdown": {"shutdown"}, "close": {"close"},
    "sendfile": {"sendfile"} | SEND,
    "create_connection": {"socket", "connect", "close"},
    "create_server": {"socket", "bind", "listen"},
}
WRAPPERS = {"create_connection", "create_server"}   # their syscalls keep their own names
NETWORK_CALLS = {"socket", "bind", "listen", "connect", "accept", "accept4", "shutdown",
                 "close", "sendfile", "sendmmsg", "recvmmsg"} | SEND | RECV


@dataclass
class Mark:
    pid: int
    tid: int
    name: str
    file: str | None = None
    line: int | None = None
    phase: str = "call"
    result: list = field(default_factory=list)
    host: str | None = None
    port: str | None = None
    t: float = 0.0


def read_marks(text: str) -> dict[int, list[Mark]]:
    """The hook's marks: thread -> its marks in time order. A line cut short by a kill is skipped."""
    marks: dict[int, list[Mark]] = {}
    for line in text.splitlines():
        try:
            record = json.loads(line)
            mark = Mark(record["pid"], record["tid"], record["name"], record.get("file"),
                        record.get("line"), record.get("phase", "call"), record.get("result", []),
                        record.get("host"), record.get("port"), float(record["t"]))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            continue
        marks.setdefault(mark.tid, []).append(mark)
    for each in marks.values():
        each.sort(key=lambda m: m.t)
    return marks


def process_of(calls: list[Syscall], known: dict[int, int]) -> dict[int, int]:
    """tid -> pid: a clone with CLONE_THREAD makes a thread of the caller's process."""
    pids = dict(known)
    for call in calls:
        if call.name in ("clone", "clone3") and call.result and call.result > 0:
            parent = pids.setdefault(call.tid, call.tid)
            thread = "CLONE_THREAD" in " ".join(call.args)
            pids[call.result] = parent if thread else call.result
    return pids


class Sockets:
    """Each descriptor's socket from socket()/accept() to close(): the addresses -yy
    showed at any time, so a call made before bind (an unbound sendto) gets the port
    the kernel chose, as seen at a later call on the same socket."""

    def __init__(self):
        self.open: dict[tuple[int, int], dict] = {}

    def entry(self, pid: int, fd: int, described: Socket | None) -> dict:
        entry = self.open.setdefault((pid, fd), {"kind": None, "local": None, "remote": None})
        if described is not None:
            entry["kind"] = described.kind
            for side in ("local", "remote"):
                value = getattr(described, side)
                if value and not value.endswith(":0"):
                    entry[side] = value
        return entry

    def close(self, pid: int, fd: int) -> None:
        self.open.pop((pid, fd), None)


def socket_of(call: Syscall) -> tuple[int | None, Socket | None]:
    """The socket a syscall acts on: its first argument, or for socket()/accept() the result."""
    if call.name in ("socket", "accept", "accept4"):
        return call.result, strace.describe(call.result_text)
    fd, text = call.fd()
    return fd, strace.describe(text)


def args_of(call: Syscall) -> dict:
    a = call.args
    if call.name == "socket":
        return {"family": a[0] if a else None, "type": a[1] if len(a) > 1 else None}
    if call.name in ("bind", "connect"):
        return {"address": strace.address(a[1]) if len(a) > 1 else None}
    if call.name == "listen":
        return {"backlog": int(a[1]) if len(a) > 1 and a[1].isdigit() else None}
    if call.name in ("accept", "accept4"):
        return {"peer": strace.address(a[1]) if len(a) > 1 else None}
    if call.name in SEND | RECV:
        size = a[2] if len(a) > 2 and a[2].isdigit() else None
        found = {"data": strace.string_arg(a[1]) if len(a) > 1 and call.result else None}
        key = "bytes" if call.name in SEND else "bufsize"
        found[key] = int(size) if size else None
        if len(a) > 4 and strace.address(a[4]):
            found["address"] = strace.address(a[4])
        return found
    if call.name == "sendfile":
        _, source = call.fd(1)
        return {"file": source, "count": int(a[3]) if len(a) > 3 and a[3].isdigit() else None}
    if call.name == "shutdown":
        return {"how": a[1] if len(a) > 1 else None}
    return {}


@dataclass
class Event:
    """One call being built: the syscalls of one program call on one socket."""
    node: str
    pid: int
    mark: Mark | None
    calls: list[Syscall]
    sock: dict
    fd: int | None

    def name(self) -> str:
        first = self.calls[0].name
        if self.mark and self.mark.name not in WRAPPERS:
            return self.mark.name
        return "accept" if first == "accept4" else first

    def result(self) -> int | None:
        results = [c.result for c in self.calls if c.result is not None and c.result >= 0]
        if self.calls[0].name in SEND | RECV | {"sendfile"} and results:
            return sum(results)
        return self.calls[-1].result if self.calls[-1].finished else None

    def to_json(self) -> dict:
        first, last = self.calls[0], self.calls[-1]
        args = args_of(first)
        if len(self.calls) > 1 and "bytes" in args:
            args["bytes"] = sum(args_of(c).get("bytes") or 0 for c in self.calls)
        event = {"kind": "call", "t": first.t, "t_end": last.t_end, "node": self.node,
                 "pid": self.pid, "thread": first.tid, "name": self.name(),
                 "syscall": first.name, "syscalls": len(self.calls), "fd": self.fd,
                 "proto": strace.NETWORK_KINDS.get(self.sock["kind"]),
                 "local": self.sock["local"], "remote": self.sock["remote"],
                 "args": args, "result": self.result(),
                 "error": last.error or (None if last.finished else "unfinished"),
                 "file": self.mark.file if self.mark else None,
                 "line": self.mark.line if self.mark else None, "hops": []}
        if first.name in ("accept", "accept4") and args.get("peer"):
            event["remote"] = args["peer"]
        event["summary"] = summary(event)
        return event


def same_call(event: Event | None, call: Syscall, mark: Mark | None, fd: int | None) -> bool:
    return (event is not None and mark is not None and event.mark is mark and event.fd == fd
            and event.calls[-1].name == call.name and call.name != "socket")


def attributed(current: Mark | None, call: Syscall) -> Mark | None:
    if current is not None and call.name in EXPECTED.get(current.name, ()):
        return current
    return None


def resolver_event(node: str, pid: int, mark: Mark, end: Mark | None) -> dict:
    event = {"kind": "call", "t": mark.t, "t_end": end.t if end else None, "node": node,
             "pid": pid, "thread": mark.tid, "name": "getaddrinfo", "syscall": None,
             "syscalls": 0, "fd": None, "proto": None, "local": None, "remote": None,
             "args": {"host": mark.host, "port": mark.port},
             "result": end.result if end else None,
             "error": None if end else "unfinished", "file": mark.file, "line": mark.line,
             "hops": []}
    event["summary"] = summary(event)
    return event


class Marked:
    """Walks each thread's marks alongside its syscalls: which call is the program's now,
    and getaddrinfo's span, which becomes an event of its own."""

    def __init__(self, node: str, marks: dict[int, list[Mark]]):
        self.node = node
        self.pending = {tid: list(reversed(each)) for tid, each in marks.items()}
        self.current: dict[int, Mark | None] = {}
        self.resolving: dict[int, Mark] = {}
        self.events: list[dict] = []

    def until(self, tid: int, t: float) -> Mark | None:
        """Take this thread's marks up to time t; the program's call now, if any."""
        pending = self.pending.get(tid, [])
        while pending and pending[-1].t <= t + CLOCK:
            self.take(pending.pop())
        return self.current.get(tid)

    def take(self, mark: Mark) -> None:
        if mark.name == "getaddrinfo" and mark.phase == "call":
            self.resolving[mark.tid] = mark
        elif mark.name == "getaddrinfo":
            began = self.resolving.pop(mark.tid, None)
            if began is not None:
                self.events.append(resolver_event(self.node, mark.pid, began, mark))
        self.current[mark.tid] = mark if mark.phase == "call" else None

    def finish(self) -> list[dict]:
        for tid in list(self.pending):
            self.until(tid, float("inf"))
        for mark in self.resolving.values():   # the program ended inside getaddrinfo
            self.events.append(resolver_event(self.node, mark.pid, mark, None))
        return self.events


def build(trace: strace.Trace, node: str, marks: dict | None = None,
          known_pids: dict[int, int] | None = None, keep_unfinished: bool = True,
          left_out: Counter | None = None) -> list[dict]:
    """Call events, in the order the calls began. `left_out` counts, by syscall, the socket
    calls that are not the network's (a Unix or netlink socket)."""
    left_out = Counter() if left_out is None else left_out
    pids = process_of(trace.calls, known_pids or {})
    marked = Marked(node, marks or {})
    sockets = Sockets()
    events: list[Event] = []
    last: dict[int, Event] = {}
    for call in trace.calls:
        if call.name not in NETWORK_CALLS:
            continue
        pid = pids.get(call.tid, call.tid)
        fd, described = socket_of(call)
        if fd is None or fd < 0:
            continue
        entry = sockets.open.get((pid, fd)) if described is None else sockets.entry(pid, fd, described)
        if call.name in ("socket", "accept", "accept4"):
            sockets.close(pid, fd)
            entry = sockets.entry(pid, fd, described)
        if entry is None or strace.NETWORK_KINDS.get(entry["kind"]) is None:
            if entry is not None or call.name not in SEND | RECV | {"close"}:
                left_out[call.name] += 1
            continue
        if call.name == "close":
            sockets.close(pid, fd)
        current = marked.until(call.tid, call.t)
        if call.tid in marked.resolving or (not call.finished and not keep_unfinished):
            continue
        mark = attributed(current, call)
        if same_call(last.get(call.tid), call, mark, fd):
            last[call.tid].calls.append(call)
            continue
        last[call.tid] = Event(node, pid, mark, [call], entry, fd)
        events.append(last[call.tid])
    built = [e.to_json() for e in events] + marked.finish()
    return sorted(built, key=lambda e: e["t"])


def summary(event: dict) -> str:
    """The ladder's label: `udp_sender.py:7 sendto(5 B 'hello', 172.24.7.20:9090) = 5`."""
    where = f"{event['file'].rsplit('/', 1)[-1]}:{event['line']} " if event.get("file") else ""
    args = event["args"]
    shown = [v for v in (size_text(args), args.get("address"), args.get("host"),
                         args.get("how"), args.get("file"), args.get("backlog")) if v]
    if event["name"] in ("socket",):
        shown = [args.get("type", "").split("|")[0]]
    result = event["error"] or event["result"]
    if event["name"] == "accept" and event["remote"]:
        result = f"{event['result']} from {event['remote']}"
    elif event["name"] == "getaddrinfo" and event["result"] is not None:
        result = ", ".join(event["result"]) or "no address"
    return f"{where}{event['name']}({', '.join(str(s) for s in shown)}) = {result}"


def size_text(args: dict) -> str | None:
    if args.get("bytes") is not None:
        data = args.get("data")
        return f"{args['bytes']} B" + (f" \"{data}\"" if data and len(data) <= 24 else "")
    if args.get("bufsize") is not None:
        return str(args["bufsize"])
    if args.get("count") is not None:
        return f"{args['count']} B"
    return None
