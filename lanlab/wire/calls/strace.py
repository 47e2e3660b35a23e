"""Reading strace's output: `strace -f -ttt -yy` lines into syscalls.

The format is strace's (strace(1), version 6): each line is `TID SECONDS.MICRO rest`, where
rest is `name(arg, arg, ...) = result`, or a call split in two when another thread ran
in between (`name(arg, <unfinished ...>` ... `<... name resumed>arg) = result`), or
`+++ exited with N +++` / `+++ killed by SIGKILL +++`. With -C the output ends with strace's
own summary table (calls and errors per syscall), kept as Trace.counts. With -yy a descriptor is printed with
what it is: `3<TCP:[10.0.0.2:40000->10.0.0.3:9090]>`, `4<UDP:[0.0.0.0:5353]>`,
`5<TCP:[101915]>` (a socket not yet bound: its inode), `6</etc/hosts>`. Socket addresses
are `{sa_family=AF_INET, sin_port=htons(9090), sin_addr=inet_addr("10.0.0.3")}`.
Results are a number, a descriptor, or `-1 ECONNREFUSED (Connection refused)`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

LINE = re.compile(r"^(\d+)\s+(\d+\.\d+)\s+(.*)$")
RESUMED = re.compile(r"^<\.\.\. (\w+) resumed>\s?(.*)$")
UNFINISHED = " <unfinished ...>"
EXIT = re.compile(r"^\+\+\+ (?:exited with (\d+)|killed by (\w+)).*\+\+\+$")
DESCRIPTOR = re.compile(r"^(-?\d+)<(.*)>$", re.S)
RESULT = re.compile(r"^(-?\d+|\?)(?:<(.*)>)?(?:\s+(E[A-Z0-9]+)\b.*)?")
INET = re.compile(r"sin_port=htons\((\d+)\), sin_addr=inet_addr\(\"([\d.]+)\"\)")
INET6 = re.compile(r"sin6_port=htons\((\d+)\).*?inet_pton\(AF_INET6, \"([0-9a-fA-F:.]+)\"")
SUMMARY = "syscall "   # the header of strace's summary table, after the calls
NETWORK_KINDS = {"TCP": "tcp", "UDP": "udp", "TCPv6": "tcp", "UDPv6": "udp"}


class TraceError(Exception):
    """strace's output could not be read."""


@dataclass(frozen=True)
class Socket:
    """What -yy says a descriptor is: its protocol and the addresses known so far."""
    kind: str                 # "TCP", "UDP", "UNIX-STREAM", "NETLINK", ...
    local: str | None = None  # "10.0.0.2:40000" or "[::1]:80"
    remote: str | None = None

    @property
    def proto(self) -> str | None:
        return NETWORK_KINDS.get(self.kind)


@dataclass
class Syscall:
    tid: int
    t: float
    name: str
    args: list[str]
    result: int | None = None
    result_text: str = ""
    error: str | None = None
    t_end: float | None = None
    finished: bool = True

    def fd(self, index: int = 0) -> tuple[int | None, str | None]:
        """The descriptor number in argument `index` and its -yy description."""
        if index >= len(self.args):
            return None, None
        match = DESCRIPTOR.match(self.args[index].strip())
        return (int(match.group(1)), match.group(2)) if match else (None, None)


@dataclass(frozen=True)
class Exit:
    tid: int
    t: float
    status: int | None
    signal: str | None


@dataclass
class Trace:
    calls: list[Syscall] = field(default_factory=list)
    exits: list[Exit] = field(default_factory=list)
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)   # strace's own -C table


def parse_counts(lines: list[str]) -> dict[str, tuple[int, int]]:
    """strace's summary (`-C -U name,calls,errors`): syscall -> (calls, errors)."""
    counts = {}
    for line in lines:
        parts = line.split()
        if len(parts) >= 2 and parts[1].isdigit() and not line.startswith(("-", "total")):
            counts[parts[0]] = (int(parts[1]), int(parts[2]) if len(parts) > 2 else 0)
    return counts


def split_args(text: str) -> tuple[list[str], str]:
    """Split `a, {b, c}, "d,)") = 5` into (["a", "{b, c}", "\"d,)\""], "= 5"): commas and the
    closing parenthesis count only outside quotes and brackets."""
    args, depth, start, i, quoted = [], 0, 0, 0, False
    while i < len(text):
        char = text[i]
        if quoted:
            if char == "\\":
                i += 1
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char in "([{":
            depth += 1
        elif char in "}]":
            depth -= 1
        elif char == ")":
            if depth == 0:
                args.append(text[start:i].strip())
                return [a for a in args if a], text[i + 1:].strip()
            depth -= 1
        elif char == "," and depth == 0:
            args.append(text[start:i].strip())
            start = i + 1
        i += 1
    args.append(text[start:].strip())
    return [a for a in args if a], ""


def parse_result(text: str) -> tuple[int | None, str, str | None]:
    """`= 4<TCP:[...]>` -> (4, "TCP:[...]", None); `= -1 ECONNREFUSED (...)` -> (-1, "", "ECONNREFUSED")."""
    text = text.removeprefix("=").strip()
    match = RESULT.match(text)
    if not match or match.group(1) == "?":
        return None, "", None
    return int(match.group(1)), match.group(2) or "", match.group(3)


def complete(tid: int, t: float, text: str, t_end: float | None = None) -> Syscall:
    name, _, rest = text.partition("(")
    args, tail = split_args(rest)
    call = Syscall(tid, t, name.strip(), args, t_end=t_end if t_end is not None else t)
    if tail.startswith("="):
        call.result, call.result_text, call.error = parse_result(tail)
    else:
        call.finished = False
    return call


def parse(text: str) -> Trace:
    """Every syscall and exit in strace's output, in the order they began."""
    trace, pending = Trace(), {}
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        match = LINE.match(line)
        if not match and line.startswith(SUMMARY):
            trace.counts = parse_counts(lines[number:])
            break
        if not match:
            if line.strip():
                raise TraceError(f"line {number} is not strace -f -ttt output: {line[:80]!r}")
            continue
        tid, t, rest = int(match.group(1)), float(match.group(2)), match.group(3)
        if exited := EXIT.match(rest):
            status = int(exited.group(1)) if exited.group(1) else None
            trace.exits.append(Exit(tid, t, status, exited.group(2)))
        elif rest.endswith(UNFINISHED):
            pending[tid] = (t, rest[: -len(UNFINISHED)])
        elif resumed := RESUMED.match(rest):
            began, head = pending.pop(tid, (t, resumed.group(1) + "("))
            trace.calls.append(complete(tid, began, head + resumed.group(2), t_end=t))
        elif not rest.startswith(("---", "+++")):
            trace.calls.append(complete(tid, t, rest))
    for tid, (t, head) in pending.items():   # never resumed: the trace ended first
        call = complete(tid, t, head)
        call.finished = False
        trace.calls.append(call)
    trace.calls.sort(key=lambda call: call.t)
    return trace


def describe(text: str | None) -> Socket | None:
    """`TCP:[10.0.0.2:40000->10.0.0.3:9090]` -> Socket("TCP", "10.0.0.2:40000", "10.0.0.3:9090");
    a path (a file, not a socket) -> None."""
    if not text or text.startswith("/") or ":[" not in text or not text.endswith("]"):
        return None
    kind, _, inner = text.partition(":[")
    inner = inner[:-1]
    if inner.isdigit() or kind not in NETWORK_KINDS:
        return Socket(kind)
    local, _, remote = inner.partition("->")
    return Socket(kind, local or None, remote or None)


def address(text: str) -> str | None:
    """A sockaddr argument as "ip:port" ("[ip6]:port"), or None when it is not AF_INET(6)."""
    if match := INET.search(text):
        return f"{match.group(2)}:{match.group(1)}"
    if match := INET6.search(text):
        return f"[{match.group(2)}]:{match.group(1)}"
    return None


def string_arg(text: str) -> str:
    """strace's quoted C string, as printed (escapes kept), with `...` when it was cut."""
    if text.startswith('"'):
        body, cut = (text[1:-4], True) if text.endswith('"...') else (text[1:-1], False)
        return body + ("..." if cut else "")
    return text
