"""`python3 -m lanlab.link.apply SUBNET [--delay-ms MS] [--loss P] [--rate R] [--down]`,
run inside a node (by `make link`, through docker exec): give the node's interface on
SUBNET exactly these conditions, replacing whatever it had. No option: clear them.

On the interface's egress, so each frame crossing the network is treated once, by its
sender, whether the node made it or (a router) forwarded it:
- loss: iptables mangle POSTROUTING -o IF -> chain LANLAB-IF, `-m statistic --mode
  random --probability P -j DROP`;
- delay: in the same chain `-j NFQUEUE --queue-num IFINDEX --queue-bypass`, held by our
  delay program (lanlab/link/program.py);
- rate: `tc qdisc replace dev IF root tbf`;
- down: the interface goes down; its routes that someone added (not the kernel's, not a
  routing daemon's) are kept in /run/lanlab and put back when it comes up again.
Only iptables, tbf and nfnetlink_queue are used: the same on kernels with and without netem.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from lanlab.host import node
from lanlab.link import conditions as cond
from lanlab.link.program import RUN, pid_path

BYTES_PER_TICK = 250          # tbf's burst: a 250th of a second of traffic, at least a frame
MIN_BURST = 3200
TBF_LATENCY = "100ms"
START_SECONDS = 30           # a Python start on a busy 2-core machine has taken over 5 s
KEPT_PROTOCOLS = ("boot", "static", None)   # routes added with `ip route`, not the kernel's


def chain(interface: str) -> str:
    return f"LANLAB-{interface}"[:28]


def ifindex(interface: str) -> int:
    with open(f"/sys/class/net/{interface}/ifindex") as source:
        return int(source.read())


def iptables(*args: str, check: bool = True):
    return node.run("iptables", "-w", "5", "-t", "mangle", *args, check=check)


def clear(interface: str) -> None:
    while iptables("-D", "POSTROUTING", "-o", interface, "-j", chain(interface), check=False).returncode == 0:
        pass
    iptables("-F", chain(interface), check=False)
    iptables("-X", chain(interface), check=False)
    stop_delay(ifindex(interface))
    node.run("tc", "qdisc", "del", "dev", interface, "root", check=False)


def stop_delay(queue: int) -> None:
    try:
        with open(pid_path(queue)) as source:
            pid = int(source.read())
        os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError):
        return
    deadline = time.monotonic() + 3
    while os.path.exists(pid_path(queue)) and time.monotonic() < deadline:
        time.sleep(0.02)


def start_delay(queue: int, delay_ms: float) -> None:
    log = open(os.path.join(RUN, f"delay-{queue}.log"), "w")
    process = subprocess.Popen([sys.executable, "-m", "lanlab.link.program", str(queue), f"{delay_ms:g}"],
                                    stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + START_SECONDS
    while not os.path.exists(pid_path(queue)):
        if process.poll() is not None or time.monotonic() > deadline:
            raise node.NodeError(f"the delay program did not start: {open(log.name).read().strip()[-200:]}")
        time.sleep(0.01)


def set_filters(interface: str, wanted: cond.Conditions) -> None:
    if not (wanted.loss or wanted.delay_ms):
        return
    name = chain(interface)
    iptables("-N", name)
    if wanted.loss:
        iptables("-A", name, "-m", "statistic", "--mode", "random", "--probability", f"{wanted.loss:g}", "-j", "DROP")
    if wanted.delay_ms:
        queue = ifindex(interface)
        start_delay(queue, wanted.delay_ms)
        iptables("-A", name, "-j", "NFQUEUE", "--queue-num", str(queue), "--queue-bypass")
    iptables("-A", "POSTROUTING", "-o", interface, "-j", name)


def set_rate(interface: str, rate: str) -> None:
    if rate:
        burst = max(int(cond.rate_bits(rate) / 8 / BYTES_PER_TICK), MIN_BURST)
        node.run("tc", "qdisc", "replace", "dev", interface, "root", "tbf", "rate", rate,
                 "burst", str(burst), "latency", TBF_LATENCY)


def routes_file(interface: str) -> str:
    return os.path.join(RUN, f"down-{interface}.json")


def link_down(interface: str) -> None:
    kept = [r for r in json.loads(node.run("ip", "-j", "route", "show", "dev", interface).stdout or "[]")
            if r.get("protocol") in KEPT_PROTOCOLS]
    with open(routes_file(interface), "w") as out:
        json.dump(kept, out)
    node.run("ip", "link", "set", interface, "down")


def link_up(interface: str) -> None:
    node.run("ip", "link", "set", interface, "up")
    if not os.path.exists(routes_file(interface)):
        return
    with open(routes_file(interface)) as source:
        for route in json.load(source):
            via = ["via", route["gateway"]] if route.get("gateway") else []
            node.run("ip", "route", "replace", route["dst"], *via, "dev", interface, check=False)
    os.remove(routes_file(interface))


def apply(subnet: str, wanted: cond.Conditions) -> str:
    interface = node.find_by_subnet(node.interfaces(), subnet).name
    os.makedirs(RUN, exist_ok=True)
    clear(interface)
    if wanted.down:
        link_down(interface)
        return interface
    link_up(interface)
    set_filters(interface, wanted)
    set_rate(interface, wanted.rate)
    return interface


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        wanted = cond.from_args(args[1:])
        interface = apply(args[0], wanted)
    except (IndexError, ValueError):
        print("usage: python3 -m lanlab.link.apply SUBNET [--delay-ms MS] [--loss P] [--rate R] [--down]",
              file=sys.stderr)
        return 2
    except (node.NodeError, OSError) as error:
        print(f"lanlab: error: {error}", file=sys.stderr)
        return 1
    print(f"{interface}: {wanted.describe()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
