"""`routing: ospf`: FRR's ospfd in every router, and the frr.conf we write for it.

We compute nothing but FRR's configuration (the FRR 8 documentation's ospfd and
interface commands; OSPFv2 is RFC 2328):
- one area, 0; `network SUBNET area 0` for each of the router's networks;
- every interface: hello 1 s, dead 4 s (a neighbour silent for 4 s is dropped, so traffic
  takes another way within about 5 s), written in the interface block BEFORE
  `router ospf`: timers changed on a running interface left it in state Waiting;
- a network with exactly two routers is point-to-point (Full in seconds, no DR election);
- a network with one router is passive (hosts hear no hellos);
- the router id is the router's first address in the lab file;
- LSAs and SPF without waiting (FAST_TIMERS): FRR keeps RFC 2328's MinLSInterval of 5 s
  between two originations of a router's LSA and MinLSArrival of 1 s by default, so a
  router whose first neighbour came up just after it started told the others only 5 s
  later; a lab has a handful of routers, nothing to protect from churn.

A router says ready only once its OSPF neighbours are adjacent (wait_converged: every
other router on its non-passive networks, LANLAB_OSPF_NEIGHBOURS, Full; two DROthers on a
shared network stay 2-Way, RFC 2328 10.4), so `make up` returns a lab whose routing has
converged.

Docker names interfaces in no fixed order, so the configuration written on the machine
names each interface by its subnet (`interface subnet:10.255.0.0/30`); the router
replaces those with its own interface names at start (resolve), found by address.

    config(lab, router) -> str           pure: the template, from the lab-file model
    resolve(template, interfaces) -> str pure: names by subnet
    neighbours(lab, router) -> int       pure: the adjacencies `router` has once converged
    converged(report, expected) -> bool  pure: `show ip ospf neighbor json` says so
    daemon_configs(text) -> dict         pure: frr.conf split into zebra's and ospfd's files
    start(path)                          in the router: write /etc/frr/*.conf, start FRR
    wait_converged(expected, log)        in the router: until converged (vtysh)
"""
from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import subprocess
import time

HELLO, DEAD = 1, 4
FAST_TIMERS = (" timers throttle lsa all 0", " timers lsa min-arrival 0", " timers throttle spf 0 50 500")
FRR_DIR = "/etc/frr"
FRR_CONF = f"{FRR_DIR}/frr.conf"
FRR_DAEMONS = f"{FRR_DIR}/daemons"
FRR_BIN = "/usr/lib/frr"
FRR_RUN = "/var/run/frr"
FRR_USER = "frr"
NEIGHBOURS_VARIABLE = "LANLAB_OSPF_NEIGHBOURS"   # the router's env: how many neighbours converged
CONVERGE_WAIT = 60.0     # seconds a router waits for its neighbours before it says ready anyway
FRR_LOG = "/var/log/frr/frr.log"     # every daemon's log; ospfd's adjacency changes among them
FIRST_LOOK = 0.5         # no adjacency comes sooner
LOOK_EVERY = 1.0         # vtysh (~0.1 s of CPU each) at least this often, and when the log grows
LOG_PAUSE = 0.05         # between two looks at the log's size (a stat)
SUBNET = re.compile(r"subnet:(\d+\.\d+\.\d+\.\d+/\d+)")


def interface_block(subnet, routers: int) -> list[str]:
    """One interface's OSPF settings; `routers`: how many routers share its network."""
    lines = [f"interface subnet:{subnet}", f" ip ospf hello-interval {HELLO}",
             f" ip ospf dead-interval {DEAD}"]
    lines += [" ip ospf network point-to-point"] if routers == 2 else []
    lines += [" ip ospf passive"] if routers == 1 else []
    return lines + ["!"]


def config(lab, router: str) -> str:
    """frr.conf (with interfaces named by subnet) for `router` of the LabFile `lab`."""
    own = lab.router(router)
    lines = ["frr defaults traditional", f"hostname {router}", f"log file {FRR_LOG}", "no ipv6 forwarding",
             "service integrated-vtysh-config", "!"]
    for interface in own.interfaces:
        subnet = lab.network(interface.network).subnet
        lines += interface_block(subnet, len(lab.routers_on(interface.network)))
    lines += ["router ospf", f" ospf router-id {own.interfaces[0].address}", " log-adjacency-changes",
              *FAST_TIMERS]
    lines += [f" network {lab.network(i.network).subnet} area 0" for i in own.interfaces]
    return "\n".join(lines + ["!", "line vty", "!"]) + "\n"


def neighbours(lab, router: str) -> int:
    """The OSPF neighbours `router` has once the lab converged: every other router on each
    of its networks (a network with one router is passive and adds none)."""
    return sum(len(lab.routers_on(i.network)) - 1 for i in lab.router(router).interfaces)


def adjacent(state: str) -> bool:
    """A neighbour's state ("Full/DR", "2-Way/DROther") as far as it will go: Full, or
    2-Way between two routers that are neither DR nor BDR (RFC 2328 10.4)."""
    return state.startswith("Full/") or state == "2-Way/DROther"


def states(report: dict) -> list[str]:
    """`show ip ospf neighbor json` (parsed) -> every neighbour's state."""
    return [entry.get("state", "") for entries in (report.get("neighbors") or {}).values()
            for entry in entries]


def converged(report: dict, expected: int) -> bool:
    """Every one of `expected` neighbours in the report is adjacent."""
    seen = states(report)
    return len(seen) >= expected and all(adjacent(state) for state in seen)


def count_adjacent(report: dict) -> int:
    return sum(adjacent(state) for state in states(report))


def neighbour_report() -> dict:
    """ospfd's neighbours as vtysh tells them; {} while ospfd does not answer yet."""
    try:
        out = subprocess.run(["vtysh", "-c", "show ip ospf neighbor json"], capture_output=True,
                             text=True, timeout=10).stdout
        return json.loads(out)
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return {}


def log_size(path: str = FRR_LOG) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def wait_converged(expected: int, log, timeout: float = CONVERGE_WAIT, clock=time.monotonic,
                   sleep=time.sleep, report=neighbour_report, size=log_size) -> bool:
    """Until `expected` neighbours are adjacent; a line every 10 s says how many are; after
    `timeout` (a neighbour down on purpose, a restarted router) False, and the router
    goes on. vtysh is asked when FRR's log grows (ospfd logs every adjacency that comes
    Full or goes) and at least every LOOK_EVERY s: a lab's routers all wait at once, while
    its hosts are starting, and asking vtysh in a loop would take a core from them."""
    began = clock()
    next_line = began + 10
    sleep(FIRST_LOOK)
    while True:
        seen, asked = size(), clock()
        now_report = report()
        if converged(now_report, expected):
            return True
        now = clock()
        if now - began >= timeout:
            log(f"OSPF: {count_adjacent(now_report)} of {expected} neighbours adjacent after "
                f"{timeout:.0f} s; ready without the rest (see vtysh -c 'show ip ospf neighbor')")
            return False
        if now >= next_line:
            log(f"waiting: {count_adjacent(now_report)} of {expected} OSPF neighbours adjacent")
            next_line += 10
        while size() == seen and clock() - asked < LOOK_EVERY:
            sleep(LOG_PAUSE)


def resolve(template: str, interfaces) -> str:
    """Replace `subnet:X` with the name of the interface (lanlab node.Interface) on X."""
    def name(match: re.Match) -> str:
        network = ipaddress.ip_network(match[1])
        for interface in interfaces:
            if any(address.ip in network for address in interface.addresses):
                return interface.name
        raise ValueError(f"no interface of this router is on {network}")
    return SUBNET.sub(name, template)


def enable_ospfd(daemons: str) -> str:
    return re.sub(r"^ospfd=no$", "ospfd=yes", daemons, flags=re.M)


def daemon_configs(text: str) -> dict[str, str]:
    """frr.conf (integrated, vtysh's) -> each daemon's own file: zebra takes the header,
    ospfd the header, the interfaces and `router ospf`; neither gets a line the other (or
    only vtysh) knows, which it would refuse line by line."""
    zebra_only = {"no ipv6 forwarding"}
    not_ospfd = zebra_only | {"service integrated-vtysh-config"}
    lines = text.splitlines()
    ospfd = [line for line in lines if line not in not_ospfd]
    header = [line for line in lines[:lines.index("!")] if line not in not_ospfd]
    zebra = header + [line for line in lines if line in zebra_only] + ["!"]
    return {"zebra": "\n".join(zebra) + "\n", "ospfd": "\n".join(ospfd) + "\n"}


def write_frr_file(path: str, text: str) -> None:
    with open(path, "w") as out:
        out.write(text)
    shutil.chown(path, FRR_USER, FRR_USER)


def launch(daemon: str, *options: str) -> None:
    """Start one FRR daemon (-d: it returns once it listens); raise OSError if it fails."""
    argv = [f"{FRR_BIN}/{daemon}", "-d", "-F", "traditional", "-A", "127.0.0.1",
            "-f", f"{FRR_DIR}/{daemon}.conf", *options]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines() or ["no message"]
        raise OSError(f"{daemon} did not start: {lines[-1]}")


def start(template_path: str, interfaces) -> None:
    """Write FRR's configuration for this router and start zebra, then ospfd, each on its
    own file (what watchfrr and `vtysh -b` would do, in a fraction of the time: the
    routers of a lab start last, on a busy machine). frr.conf, the same configuration
    whole, is vtysh's, and /etc/frr/daemons names ospfd, so `frrinit.sh restart` in the
    router brings back the same FRR."""
    with open(template_path) as source:
        text = resolve(source.read(), interfaces)
    write_frr_file(FRR_CONF, text)
    for daemon, own in daemon_configs(text).items():
        write_frr_file(f"{FRR_DIR}/{daemon}.conf", own)
    with open(FRR_DAEMONS) as source:
        daemons = enable_ospfd(source.read())
    with open(FRR_DAEMONS, "w") as out:
        out.write(daemons)
    os.makedirs(FRR_RUN, exist_ok=True)
    shutil.chown(FRR_RUN, FRR_USER, FRR_USER)
    launch("zebra", "-s", "90000000")   # ospfd asks zebra for interfaces: zebra listens first
    launch("ospfd")
