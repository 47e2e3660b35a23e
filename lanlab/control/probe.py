"""Looking into a running lab from outside: run commands in nodes, find their
interfaces and addresses, capture packets. Used by the lab tests and the benchmarks."""
from __future__ import annotations

import threading
import time

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


def capture_while(receiver: Node, interface: str, bpf: str, action, count: int = 1,
                  timeout: int = 10, flags: str = "-t -n -e -v") -> str:
    """Run tcpdump on `receiver`, do `action` once it listens, return what it printed."""
    result: dict[str, str] = {}

    def listen():
        result["out"] = receiver.sh(
            f"tcpdump -l {flags} -c {count} -i {interface} '{bpf}' 2>/dev/null", timeout=timeout).out

    thread = threading.Thread(target=listen)
    thread.start()
    time.sleep(1.0)  # tcpdump needs a moment to open its socket
    action()
    thread.join(timeout + 5)
    return result.get("out", "")


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
