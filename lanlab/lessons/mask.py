"""The `mask` lesson: `mask/subnet.py ADDRESS MASK [OTHER]` prints, one `name: value` per
line, `network`, `broadcast`, `hosts` (usable host addresses), `class` (A to E),
`private` (yes/no), and, given OTHER, `same network` (yes/no).

Cases from the course (192.168.31.124/24; alice 192.168.7.20 and carol 192.168.13.18 at
/24 and at /16) and the rows of its class table, with the right figures: class A has
16,777,214 hosts per network, and B to E have their own ranges. The answers are compared
with Python's ipaddress module.
"""
from __future__ import annotations

import ipaddress

from lanlab.lessons.local import field, run_all
from lanlab.lessons.runner import Session, excerpt

PROGRAM = "mask/subnet.py"
CASES = [["192.168.31.124", "255.255.255.0"], ["192.168.7.20", "255.255.255.0", "192.168.13.18"],
         ["192.168.7.20", "255.255.0.0", "192.168.13.18"], ["10.20.30.40", "255.0.0.0"],
         ["172.20.5.9", "255.255.0.0"], ["130.1.2.3", "255.255.0.0"], ["200.1.2.3", "255.255.255.0"],
         ["192.168.7.20", "255.255.255.128"], ["224.0.0.9", "255.255.255.255"]]
PRIVATE = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]


def address_class(address: ipaddress.IPv4Address) -> str:
    first = int(str(address).split(".")[0])
    return "a" if first < 128 else "b" if first < 192 else "c" if first < 224 else "d" if first < 240 else "e"


def truth(case: list[str]) -> dict[str, str]:
    interface = ipaddress.IPv4Interface(f"{case[0]}/{case[1]}")
    net = interface.network
    hosts = max(net.num_addresses - 2, 0) if net.prefixlen < 31 else net.num_addresses
    answer = {"network": str(net.network_address), "broadcast": str(net.broadcast_address),
              "hosts": str(hosts), "class": address_class(interface.ip),
              "private": "yes" if any(interface.ip in p for p in PRIVATE) else "no"}
    if len(case) > 2:
        answer["same network"] = "yes" if ipaddress.IPv4Address(case[2]) in net else "no"
    return answer


CHECKS = {"network-broadcast": ("network", "broadcast"), "hosts": ("hosts",), "class": ("class",),
          "private": ("private",), "same-network": ("same network",)}


def checks(s: Session):
    if missing := s.absent(PROGRAM, CHECKS):
        yield from missing
        return
    outputs = run_all(s, "alice", PROGRAM, CASES)
    for name, fields in CHECKS.items():
        wrong = []
        for case in CASES:
            want = truth(case)
            for f in fields:
                if f in want and field(outputs[tuple(case)][1], f).replace(",", "") != want[f]:
                    wrong.append(f"{' '.join(case)} -> {f}: {field(outputs[tuple(case)][1], f) or '?'} "
                                 f"({s.messages.text('seen.should-be', value=want[f])})")
        seen = excerpt("; ".join(wrong), 200) if wrong else s.messages.text("seen.all-right", cases=len(CASES))
        yield s.result(name, not wrong, seen, cases=len(CASES))
