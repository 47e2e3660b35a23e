"""OSPF labs: `make up` of 3 routers, 6 subnets, 30 hosts against compose; reroute times.

`make up` to ready against plain compose, and how long traffic takes to go round when a
link between two routers is cut.

The lab (written to build/bench/ospf/ospf.yaml): routers r1, r2, r3 in a triangle of /30
links (routing: ospf, FRR), two host subnets of five DHCP hosts behind each router, the
DHCP and DNS servers on svc behind r1. Addresses in LANLAB_BENCH_OSPF_BASE (default
172.26: 172.26.101-106.0/24 for hosts, 172.26.109.0/24 svc, 172.26.111-113.0/30 links).

- `make up LAB=...` (images present, lab down) until it returns: every host holds its
  lease and the lab's DNS server answers its name (hosts behind r2 and r3 get both only
  through OSPF's routes), and every router has its two neighbours Full (a router says
  ready only then: lanlab/router/ospf.py). Once it has returned, outside the timing, the
  benchmark checks the neighbours itself (vtysh, `docker exec` in each router, found by
  its Compose labels) and fails the run if any is not Full.
  The floor: the same 35 containers on the same networks running `sleep infinity`
  (lanlab-base, init), `compose up -d`, in the same run, interleaved. Median of
  LANLAB_BENCH_OSPF_RUNS (5).
- Reroute: the r1-r2 link is cut with `make link NET=l12 DOWN=1` (its interfaces go down)
  and, separately, made silent from r2's side (`NODE=r2 LOSS=100%`: only the dead
  interval, 4 s, tells); the figure is the time from `make link` returning (the cut is in
  place) until a host behind r1, asking every 0.1 s, is answered from behind r2 again.
  It leaves out the part of the outage while `make link` itself runs (docker exec in
  both routers). Median of 5 cuts each; the link is healed (UP=1 / CLEAR=1) and every
  neighbour Full again before the next cut.
"""
from __future__ import annotations

import os
import re
import statistics
import time
from pathlib import Path

import yaml

from bench import ROOT, Context, Result
from bench.bench_lab import (StepFailed, bench_project, floor_down, floor_up, fmt, remove_bench_projects,
                             timed)
from lanlab.control.watch import PROJECT_LABEL, SERVICE_LABEL

BUDGET = 2400
RUNS = int(os.environ.get("LANLAB_BENCH_OSPF_RUNS", "5"))
CUTS = 5
BASE = os.environ.get("LANLAB_BENCH_OSPF_BASE", "172.26")
THIRD = 100                 # lan i: BASE.(100+i).0/24, svc BASE.109.0/24, links BASE.11x.0/30
DIRECTORY = ROOT / "build" / "bench" / "ospf"
TARGET = 1.5
ROUTERS = ("r1", "r2", "r3")
LINKS = {"l12": ("r1", "r2", 111), "l13": ("r1", "r3", 112), "l23": ("r2", "r3", 113)}


def lab_text() -> str:
    lines = ["name: ospf", "routing: ospf", "networks:"]
    lines += [f"  lan{i}: {{subnet: {BASE}.{THIRD + i}.0/24}}" for i in range(1, 7)]
    lines += [f"  svc: {{subnet: {BASE}.{THIRD + 9}.0/24}}"]
    lines += [f"  {name}: {{subnet: {BASE}.{third}.0/30}}" for name, (_, _, third) in LINKS.items()]
    lines += ["routers:"]
    for number, router in enumerate(ROUTERS):
        interfaces = [f"lan{2 * number + k}: {BASE}.{THIRD + 2 * number + k}.1" for k in (1, 2)]
        interfaces += [f"{name}: {BASE}.{third}.{1 if a == router else 2}"
                       for name, (a, b, third) in LINKS.items() if router in (a, b)]
        interfaces += [f"svc: {BASE}.{THIRD + 9}.1"] if router == "r1" else []
        lines.append(f"  {router}: {{{', '.join(interfaces)}}}")
    lines += [f"dhcp: {{network: svc, address: {BASE}.{THIRD + 9}.2}}",
              f"dns: {{network: svc, address: {BASE}.{THIRD + 9}.3}}",
              "hosts:"]
    lines += [f"  h{i}-{k}: {{network: lan{i}}}" for i in range(1, 7) for k in range(1, 6)]
    return "\n".join(lines) + "\n"


def lab_file() -> Path:
    DIRECTORY.mkdir(parents=True, exist_ok=True)
    path = DIRECTORY / "ospf.yaml"
    path.write_text(lab_text())
    return path


def project() -> str:
    return f"{bench_project()}-ospf"


def floor_file(path: Path) -> Path:
    """The lab's own compose file (rendered here as `make up` renders it) with every service
    a sleeping lanlab-base container on the same networks and addresses."""
    from lanlab.control import generate, labfile
    rendered = generate.write_labfile(labfile.load(str(path)), path.read_text(), DIRECTORY / "rendered")
    compose = yaml.safe_load(rendered.read_text())
    services = {name: {"image": "lanlab-base:latest", "init": True, "command": ["sleep", "infinity"],
                       "networks": service["networks"]}
                for name, service in compose["services"].items()}
    out = DIRECTORY / "floor" / "compose.yaml"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump({"services": services, "networks": compose["networks"]}))
    return out


_CONTAINERS: dict[str, str] = {}


def container(service: str) -> str:
    """The container id of `service` in the bench's OSPF lab, found by its Compose labels
    with one `docker ps` (tens of ms: a Python start per router would count seconds of the
    measuring against the lab)."""
    if service not in _CONTAINERS:
        out = timed(["docker", "ps", "-q", "--filter", f"label={PROJECT_LABEL}={project()}",
                     "--filter", f"label={SERVICE_LABEL}={service}"], 60)[1]
        _CONTAINERS[service] = out.strip().splitlines()[-1]
    return _CONTAINERS[service]


def exec_out(service: str, script: str, timeout: float = 60) -> str:
    return timed(["docker", "exec", container(service), "sh", "-c", script], timeout)[1]


def ospf_full(deadline: float) -> None:
    """Wait until every router has its two neighbours Full (at once after `make up`)."""
    while True:
        counts = [len(re.findall(r"\bFull/", exec_out(r, "vtysh -c 'show ip ospf neighbor'"))) for r in ROUTERS]
        if counts == [2, 2, 2]:
            return
        if time.monotonic() > deadline:
            raise StepFailed(f"OSPF not full: Full neighbours per router {counts}")
        time.sleep(0.2)


def make_up(path: Path) -> float:
    _CONTAINERS.clear()
    started = time.monotonic()
    timed(["make", "-s", "up", f"LAB={path}"], 600)
    took = time.monotonic() - started
    ospf_full(time.monotonic())     # the routers said ready once Full: it must hold already
    return took


def make_down(path: Path) -> None:
    timed(["make", "-s", "down", f"LAB={path}"], 300, tolerate="stale endpoint")


def up_runs(ctx: Context, path: Path) -> list[Result]:
    """Floor and lab alternate, the floor first; the last lab is left up for the reroutes."""
    ups, floors, floor = [], [], floor_file(path)
    for run in range(1, RUNS + 1):
        if ctx.time_left() < 900:
            ctx.note(f"ospf lab: stopped after {run - 1} runs to keep within the budget")
            break
        if ups:
            make_down(path)
        floors.append(floor_up(ctx, floor, f"{project()}-floor", 35))
        floor_down(ctx, floor, f"{project()}-floor", 35)
        ups.append(make_up(path))
        ctx.say(f"ospf lab run {run}/{RUNS}: make up to ready and OSPF full {ups[-1]:.1f} s, floor {floors[-1]:.1f} s")
    if not ups:
        return []
    ctx.note(f"ospf lab, every run (s): make up to ready and OSPF full {fmt(ups)}; floor up {fmt(floors)}")
    up, fl = statistics.median(ups), statistics.median(floors)
    return [Result(f"ospf lab (3 routers, 6 subnets, 30 hosts): `make up` to ready and OSPF full, median of {len(ups)}",
                   up, "floor: compose up -d, 35 sleeping containers", fl, "s", False, f"<= {TARGET}x floor",
                   up <= TARGET * fl, commands=(f"LANLAB_PROJECT={bench_project()} make up LAB={path.relative_to(ROOT)}",
                                                f"docker-compose -f {floor.relative_to(ROOT)} -p {project()}-floor up -d"))]


def one_cut(path: Path, cut: list[str], heal: list[str]) -> float:
    """Seconds from `make link` returning (the cut is in place) to the first answer from
    behind r2 again, asked every 0.1 s."""
    target = f"{BASE}.{THIRD + 3}.1"      # r2's lan3 address: reached over l12 while it is up
    exec_out("h1-1", f"until ping -n -c 1 -W 0.2 {target} >/dev/null; do :; done", 60)
    timed(["make", "-s", "link", f"LAB={path}", "NET=l12", *cut], 120)
    out = exec_out("h1-1", f"start=$(date +%s.%N); until ping -n -c 1 -W 0.1 {target} >/dev/null; do :; done; "
                           f"echo $(date +%s.%N) $start", 60).split()
    timed(["make", "-s", "link", f"LAB={path}", "NET=l12", *heal], 120)
    ospf_full(time.monotonic() + 60)
    return float(out[0]) - float(out[1])


def reroutes(ctx: Context, path: Path) -> list[Result]:
    results = []
    for label, cut, heal, note in (
            ("link cut (DOWN=1)", ["DOWN=1"], ["UP=1"], "interfaces down: ospfd sees it at once"),
            ("link made silent by r2 (NODE=r2 LOSS=100%)", ["NODE=r2", "LOSS=100%"], ["CLEAR=1"],
             "only r1's dead interval (4 s) and the next hello tell")):
        try:
            gaps = [one_cut(path, cut, heal) for _ in range(CUTS)]
        except StepFailed as error:
            ctx.note(f"reroute after {label}: {error}")
            continue
        ctx.say(f"reroute after {label}: gaps {fmt(gaps)} s")
        ctx.note(f"reroute after {label}, every cut (s): {fmt(gaps)}")
        gap = statistics.median(gaps)
        results.append(Result(f"ospf: reroute after a {label}, median of {CUTS}", gap,
                              "the dead interval", 4.0, "s", False, "< 5 s", gap < 5, notes=note,
                              commands=(f"make link LAB={path.relative_to(ROOT)} NET=l12 {' '.join(cut)}",)))
    return results


def run(ctx: Context) -> list[Result]:
    path = lab_file()
    try:
        make_down(path)
        results = up_runs(ctx, path)
        return results + reroutes(ctx, path)
    finally:
        cleanup(ctx)


def cleanup(ctx: Context) -> None:
    import docker.errors
    try:
        make_down(lab_file())
        remove_bench_projects()
    except (StepFailed, docker.errors.NotFound) as error:     # removed under our feet: fine
        ctx.note(f"cleanup: {error}")
