"""Looking into a running lab from outside: run commands in nodes, find their
interfaces and addresses, capture packets. Used by the lab tests and the benchmarks."""
from __future__ import annotations

import re
import shlex
import threading
import time
import uuid

from lanlab.host import node as nodelib
from lanlab import topology
from lanlab.control.execute import Output, exec_in
from lanlab.control.lab import Lab


class Node:
    """One lab container, addressed by its Compose service name."""

    def __init__(self, lab: Lab, service: str):
        self.lab = lab
        self.service = service

    @property
    def container(self):
        return self.lab.container(self.service)

    def run(self, argv: list[str], timeout: float = 30, **kwargs) -> Output:
        return exec_in(self.container, argv, timeout=timeout, **kwargs)

    def sh(self, script: str, timeout: float = 30, **kwargs) -> Output:
        return exec_in(self.container, ["sh", "-c", script], timeout=timeout, **kwargs)

    def ok(self, script: str, timeout: float = 30) -> str:
        """Run and insist on success; the failure message shows the output."""
        result = self.sh(script, timeout=timeout)
        assert result.ok, f"{self.service}: `{script}` failed ({result.code}): {result.out}{result.err}"
        return result.out

    def __repr__(self) -> str:
        return f"Node({self.service})"


def lab_interface(n: Node, plan: topology.Plan, subnet_name: str) -> nodelib.Interface:
    """The node's interface on a subnet, found by address (names are not stable)."""
    interfaces = nodelib.parse_addresses(n.ok("ip -j addr show"))
    return nodelib.find_by_subnet(interfaces, plan.subnet(subnet_name).network)


def address_of(n: Node, plan: topology.Plan, subnet_name: str) -> str:
    interface = lab_interface(n, plan, subnet_name)
    return str(interface.address_in(plan.subnet(subnet_name).network).ip)


class Background:
    """A program run in the background in a node, owned by the test that starts it.

    Its output (stdout and stderr) is streamed back as it is written, so a test waits for
    a line instead of sleeping; a line `lanlab-background: exit N` follows when it ends.
    With `typed=True` its input is a file the test appends lines to (`type`). It runs in a
    session of its own: leaving the `with` block ends it and everything it started."""

    PID, ENDED = "lanlab-background: pid ", "lanlab-background: exit "

    def __init__(self, node: Node, command: str, typed: bool = False, limit: float = 120):
        self.node, self.command, self.typed, self.limit = node, command, typed, limit
        self.input = f"/tmp/lanlab-typed-{uuid.uuid4().hex[:8]}"
        self.text, self.changed = "", threading.Condition()
        self.reader: threading.Thread | None = None

    def script(self) -> str:
        body = f"{{ {self.command}\n}} 2>&1; echo \"{self.ENDED}$?\""
        feed = f": > {self.input}; tail -s 0.1 -f {self.input} | {{ {body}; }}" if self.typed \
            else f"{{ {body}; }} < /dev/null"
        return f"echo \"{self.PID}$$\"; {feed}"

    def __enter__(self) -> "Background":
        argv = ["timeout", "-s", "KILL", str(int(self.limit)), "setsid", "-w", "sh", "-c", self.script()]
        stream = self.node.container.exec_run(argv, stream=True).output
        self.reader = threading.Thread(target=self.read, args=(stream,), daemon=True)
        self.reader.start()
        assert self.wait_for(self.PID, 30), f"{self.node.service}: `{self.command}` did not start"
        return self

    def read(self, stream) -> None:
        for chunk in stream:
            with self.changed:
                self.text += chunk.decode(errors="replace")
                self.changed.notify_all()

    def __exit__(self, *exc) -> None:
        pid = self.text.split(self.PID, 1)[1].split()[0]
        self.node.sh(f"kill -9 -{pid} 2>/dev/null; rm -f {self.input}")  # dash: no `--`
        self.reader.join(10)

    def type(self, line: str) -> None:
        """Append one line to the program's input, as if typed."""
        self.node.ok(f"printf '%s\\n' {shlex.quote(line)} >> {self.input}")

    def output(self) -> str:
        with self.changed:
            return self.text

    def wait_for(self, text: str, timeout: float = 10) -> bool:
        """Until `text` is in the output (True) or `timeout` seconds pass (False)."""
        with self.changed:
            return self.changed.wait_for(lambda: text in self.text, timeout)

    def status(self, timeout: float = 10) -> int | None:
        """The program's exit status once it has ended, or None if it runs past `timeout`."""
        if not self.wait_for(self.ENDED, timeout):
            return None
        return int(self.output().split(self.ENDED, 1)[1].split()[0])


class Capture(Background):
    """tcpdump in a node: listening when the `with` block starts, stopped when it ends."""

    NOISE = re.compile(r"^(tcpdump: |listening on |\d+ packets? (captured|received|dropped)|lanlab-background: )")

    def __init__(self, node: Node, bpf: str, count: int, interface: str = "any", flags: str = "-nn"):
        super().__init__(node, f"tcpdump -l {flags} -c {count} -i {interface} '{bpf}'")

    def __enter__(self) -> "Capture":
        super().__enter__()
        assert self.wait_for("listening on", 15), \
            f"tcpdump in {self.node.service} did not start within 15 s: {self.output()}"
        return self

    def lines(self, wait: float = 15) -> list[str]:
        """What tcpdump printed, once it has its count of packets (or `wait` passes)."""
        self.status(wait)
        return [line for line in self.output().splitlines() if line and not self.NOISE.match(line)]


def capture_while(receiver: Node, interface: str, bpf: str, action, count: int = 1,
                  timeout: int = 10, flags: str = "-t -n -e -v") -> str:
    """Run tcpdump on `receiver`, do `action` once it listens, return what it printed."""
    with Capture(receiver, bpf, count, interface, flags) as capture:
        action()
        return "\n".join(capture.lines(timeout))


class Tcpdump:
    """tcpdump in a node, started and waited for (its "listening on" line), stopped on
    demand: for what must NOT be seen, where a count to wait for cannot be given."""

    def __init__(self, n: Node, interface: str, expression: str, file: str = "/tmp/lanlab-tcpdump.txt"):
        self.n, self.file = n, file
        self.pid = n.ok(f"(timeout 60 tcpdump -l -n -e -i {interface} '{expression}' > {file} "
                        f"2> {file}.err & echo $!)").strip()
        n.ok(f"for i in $(seq 200); do grep -q 'listening on' {file}.err && exit 0; sleep 0.05; done; exit 1")

    def stop(self) -> str:
        """Everything it printed (SIGINT: tcpdump flushes, then exits)."""
        self.n.sh(f"kill -INT {self.pid}; while kill -0 {self.pid} 2>/dev/null; do sleep 0.05; done")
        return self.n.ok(f"cat {self.file}")


def wait_for_log(container, text: str, since: float, timeout: float = 10) -> str:
    """The first line of the container's log written since `since` (epoch seconds; Docker
    counts whole seconds, so a second before it too) that holds `text`, polled until
    `timeout` passes; "" if none did."""
    deadline = time.monotonic() + timeout
    while True:
        logs = container.logs(since=int(since) - 1).decode(errors="replace")
        line = next((line for line in logs.splitlines() if text in line), "")
        if line or time.monotonic() > deadline:
            return line
        time.sleep(0.2)
