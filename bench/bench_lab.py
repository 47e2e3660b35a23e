"""The lab: `make up` to ready, memory per idle host, and tear-down, against plain compose.

The floor for every figure is a plain compose file with the same containers on the same
networks and addresses, running nothing but `sleep infinity` (lanlab-base image, init),
started with `docker-compose up -d` and removed with `docker-compose down`, measured in
the same run, interleaved with the lab's runs. Floor and lab get the same
COMPOSE_PARALLEL_LIMIT (the services plus 32, at least 64: docker-compose 1.29 deadlocks
at the default 64 when that many services start together, docs/scale.md) and
COMPOSE_HTTP_TIMEOUT=300.

- Default lab: wall time of `make up` (images present, lab down) until it
  returns, i.e. every container ready; the floor is `up -d` of the same 7 containers.
  Median of LANLAB_BENCH_RUNS runs (5).
- Generated labs: 10, 50, 100 and 200 hosts in 10 subnets
  (`make up SUBNETS=10 HOSTS=M`); ready means every host finished its start: it holds
  its lease and the lab's DNS server answers its name (lanlab/host/program.py). Median of
  LANLAB_BENCH_GEN_RUNS runs (3) up to 100 hosts, one run at 200; floor and lab
  interleaved.
- Memory per idle host: 10 s after ready, the sum over the container's processes of
  their resident set (RSS, /proc/PID/smaps_rollup), median over hosts; PSS (shared pages
  split between their users) in the notes. The floor's sleeping container is beside it.
- Tear-down: `make down SUBNETS=10 HOSTS=M` against `docker-compose down` of the floor.

Addresses: LANLAB_BENCH_BASE (default 10.110; the default lab's prefixes move to
BASE.7, BASE.13, BASE.0). Projects are named LANLAB_PROJECT-bench*, all removed at the end
and by cleanup(). Sizes: LANLAB_BENCH_SIZES (default 10,50,100,200).
"""
from __future__ import annotations

import ipaddress
import os
import re
import signal
import statistics
import subprocess
import time
from pathlib import Path

from bench import ROOT, Context, Result
from lanlab.control.errors import LabError

BUDGET = 2700
RUNS = int(os.environ.get("LANLAB_BENCH_RUNS", "5"))
GEN_RUNS = int(os.environ.get("LANLAB_BENCH_GEN_RUNS", "3"))
SIZES = tuple(int(n) for n in os.environ.get("LANLAB_BENCH_SIZES", "10,50,100,200").split(",") if n)
SUBNETS = 10
BASE = os.environ.get("LANLAB_BENCH_BASE", "10.110")
SETTLE = 10.0
TARGET_READY = 1.5
TARGET_DOWN = 1.5
TARGET_MIB = 15.0


def parent() -> str:
    return os.environ.get("LANLAB_PROJECT", "lanlab")


def bench_project() -> str:
    return f"{parent()}-bench"


def lab_env() -> dict[str, str]:
    """The environment of every lab command: our project and addresses, never the user's lab."""
    return {**os.environ, "LANLAB_PROJECT": bench_project(), "LANLAB_BASE": BASE,
            "LANLAB_LAN_A": f"{BASE}.7", "LANLAB_LAN_B": f"{BASE}.13", "LANLAB_SVC": f"{BASE}.0"}


# --- timing commands ------------------------------------------------------------------------

class StepFailed(RuntimeError):
    pass


FAILED_LOGS = ROOT / "build" / "logs" / "bench"     # a failed step's whole output (the logs of a lab's
                                                     # failed containers among it)


def timed(argv: list[str], timeout: float, env: dict | None = None,
          tolerate: str | None = None) -> tuple[float, str]:
    """Run to completion; (seconds, output). A timeout or failure raises StepFailed,
    unless the failure's output contains `tolerate`."""
    started = time.monotonic()
    process = subprocess.Popen(argv, cwd=ROOT, env=env or lab_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise StepFailed(f"`{' '.join(argv)}` did not finish within {timeout:.0f} s") from None
    took = time.monotonic() - started
    if process.returncode != 0 and not (tolerate and tolerate in output):
        tail = output.strip().splitlines()[-3:]
        kept = FAILED_LOGS / f"{time.strftime('%Y%m%d-%H%M%S')}-{Path(argv[0]).name}.log"
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_text(f"$ {' '.join(argv)}\n{output}")
        raise StepFailed(f"`{' '.join(argv)}` failed (exit {process.returncode}): {' / '.join(tail)} "
                         f"(whole output: {kept.relative_to(ROOT)})")
    return took, output


def make(target: str, hosts: int | None = None) -> list[str]:
    argv = ["make", "-s", target]
    if hosts:
        argv += [f"SUBNETS={SUBNETS}", f"HOSTS={hosts}"]
    return argv


def hangs_in(output: str) -> int:
    return output.count("compose made no progress")


# --- the floor ------------------------------------------------------------------------------

def floor_file(plan, name: str) -> Path:
    from lanlab.control import generate
    return generate.write_floor(plan, ROOT / "build" / "bench" / name)


def compose_argv(path: Path, project: str, *args: str) -> list[str]:
    from lanlab.control.compose import compose_command
    return [*compose_command(), "-f", str(path), "-p", project, *args]


def floor_env(containers: int) -> dict[str, str]:
    """The floor gets the COMPOSE_PARALLEL_LIMIT the lab gets: without it docker-compose
    1.29 can deadlock on 64 or more services (lanlab/control/lab.py, parallel_limit)."""
    from lanlab.control.lab import parallel_limit
    return {**lab_env(), "COMPOSE_PARALLEL_LIMIT": str(parallel_limit(containers)),
            "COMPOSE_HTTP_TIMEOUT": "300"}


def floor_up(ctx: Context, path: Path, project: str, containers: int) -> float:
    """`up -d` of the floor; docker-compose 1.29 may hang: stop it and run it again once."""
    timeout = 60 + 2.0 * containers
    try:
        took, _ = timed(compose_argv(path, project, "up", "-d"), timeout, floor_env(containers))
        return took
    except StepFailed as error:
        ctx.note(f"floor {project}: {error}; ran `up -d` again (the docker-compose hang?)")
        again, _ = timed(compose_argv(path, project, "up", "-d"), timeout, floor_env(containers))
        return timeout + again


def floor_down(ctx: Context, path: Path, project: str, containers: int) -> float:
    took, output = timed(compose_argv(path, project, "down"), 60 + 2.0 * containers,
                         floor_env(containers), tolerate="active endpoints")
    if "active endpoints" in output:
        ctx.note(f"floor {project}: compose down left a network with a stale endpoint (moby#42119)")
    return took


# --- memory ---------------------------------------------------------------------------------

def container_pids(cid: str) -> list[int]:
    for path in (Path(f"/sys/fs/cgroup/memory/docker/{cid}/cgroup.procs"),
                 Path(f"/sys/fs/cgroup/system.slice/docker-{cid}.scope/cgroup.procs")):
        if path.exists():
            return [int(p) for p in path.read_text().split()]
    from lanlab.control.engine import client
    top = client().api.top(cid, ps_args="-eo pid")
    return [int(row[0]) for row in top.get("Processes") or []]


def smaps(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in KiB; (0, 0) if it is gone."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0, 0
    fields = dict(re.findall(r"^(Rss|Pss):\s+(\d+) kB", text, re.M))
    return int(fields.get("Rss", 0)), int(fields.get("Pss", 0))


def memory_of(project: str, services: set[str]) -> tuple[float, float, int]:
    """Median RSS and PSS (MiB) of the containers of `services`, and how many were read."""
    from lanlab.control.engine import client
    from lanlab.control.watch import PROJECT_LABEL, SERVICE_LABEL
    rss, pss = [], []
    for entry in client().api.containers(filters={"label": f"{PROJECT_LABEL}={project}"}):
        if entry["Labels"].get(SERVICE_LABEL) not in services:
            continue
        sizes = [smaps(pid) for pid in container_pids(entry["Id"])]
        rss.append(sum(s[0] for s in sizes) / 1024)
        pss.append(sum(s[1] for s in sizes) / 1024)
    if not rss:
        return 0.0, 0.0, 0
    return statistics.median(rss), statistics.median(pss), len(rss)


# --- removing everything the benchmark started ----------------------------------------------

def remove_bench_projects() -> list[str]:
    """Remove every container, network and volume of a LANLAB_PROJECT-bench* project."""
    from lanlab.control.engine import client
    from lanlab.control.watch import PROJECT_LABEL
    import docker.errors as docker_errors
    docker, prefix, removed, stuck = client(), bench_project(), set(), []
    ours = lambda labels: (labels or {}).get(PROJECT_LABEL, "").startswith(prefix)
    for container in docker.containers.list(all=True, filters={"label": PROJECT_LABEL}):
        if ours(container.labels):
            removed.add(container.labels[PROJECT_LABEL])
            container.remove(force=True, v=True)
    for net in docker.networks.list(filters={"label": PROJECT_LABEL}):
        if ours(net.attrs.get("Labels")):
            try:
                net.remove()
            except docker_errors.APIError as error:
                stuck.append(f"{net.name} ({error.explanation})")
    for volume in docker.volumes.list(filters={"label": PROJECT_LABEL}):
        if ours(volume.attrs.get("Labels")):
            volume.remove(force=True)
    for directory in (ROOT / "build").glob(f"{prefix}*"):
        subprocess.run(["rm", "-rf", str(directory)], check=False)
    return sorted(removed), stuck


def cleanup(ctx: Context) -> None:
    left, stuck = remove_bench_projects()
    if left:
        ctx.note(f"cleanup removed what was left of: {', '.join(left)}")
    for network in stuck:
        ctx.note(f"could not remove {network}: Docker 20.10 keeps stale endpoints (moby#42119) "
                 "until the engine restarts")


# --- the default lab -----------------------------------------------------------------

def default_lab(ctx: Context) -> list[Result]:
    from lanlab import topology
    plan = topology.default_plan({k: v for k, v in lab_env().items() if k.startswith("LANLAB_")})
    path, floor_project = floor_file(plan, "floor-default"), f"{bench_project()}-floor"
    ups, downs, floor_ups, floor_downs, own = [], [], [], [], []
    for run in range(1, RUNS + 1):
        if ctx.time_left() < 300:
            ctx.note(f"default lab: stopped after {run - 1} runs to keep within the budget")
            break
        floor_ups.append(floor_up(ctx, path, floor_project, 7))
        floor_downs.append(floor_down(ctx, path, floor_project, 7))
        took, output = timed(make("up"), 300)
        ups.append(took)
        own += [float(m) for m in re.findall(r"ready in ([0-9.]+) s:", output)]
        if hangs_in(output):
            ctx.note(f"default lab run {run}: the compose watchdog re-ran `up -d` {hangs_in(output)} time(s)")
        downs.append(timed(make("down"), 300, tolerate="stale endpoint")[0])
        ctx.say(f"default lab run {run}/{RUNS}: make up {ups[-1]:.1f} s (floor {floor_ups[-1]:.1f} s), "
                f"make down {downs[-1]:.1f} s (floor {floor_downs[-1]:.1f} s)")
    if not ups:
        return []
    ctx.note(f"default lab, every run (s): make up {fmt(ups)}; floor up {fmt(floor_ups)}; "
             f"make down {fmt(downs)}; floor down {fmt(floor_downs)}; "
             f"of make up, compose up to ready as lanlab reports it: {fmt(own)}")
    up, floor, down, fdown = (statistics.median(x) for x in (ups, floor_ups, downs, floor_downs))
    env = f"LANLAB_PROJECT={bench_project()} LANLAB_LAN_A={BASE}.7 LANLAB_LAN_B={BASE}.13 LANLAB_SVC={BASE}.0"
    floor_cmd = f"docker-compose -f build/bench/floor-default/compose.yaml -p {floor_project}"
    return [
        Result(f"default lab: `make up` to ready, median of {len(ups)}", up,
               "floor: compose up -d, 7 sleeping containers", floor, "s", False,
               f"<= {TARGET_READY}x floor", up <= TARGET_READY * floor,
               commands=(f"{env} make up", f"{floor_cmd} up -d")),
        Result(f"default lab: `make down`, median of {len(downs)}", down,
               "floor: compose down", fdown, "s", False, f"<= {TARGET_DOWN}x floor",
               down <= TARGET_DOWN * fdown, commands=(f"{env} make down", f"{floor_cmd} down")),
    ]


def fmt(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values) or "-"


# --- generated labs ------------------------------------------------------------------

def generated_runs(hosts: int) -> int:
    """Runs per size: GEN_RUNS up to 100 hosts (the target's size: one run swings by a
    tenth either way), one at 200 (two and a half minutes a run)."""
    return GEN_RUNS if hosts * SUBNETS <= 100 else 1


def generated_size(ctx: Context, hosts: int) -> list[Result]:
    from lanlab import topology
    plan = topology.generated_plan(SUBNETS, hosts, BASE)
    containers = len(plan.hosts) + 3
    names = {h.name for h in plan.hosts}
    path = floor_file(plan, f"floor-{SUBNETS}x{hosts}")
    floor_project = f"{bench_project()}-floor-{SUBNETS}x{hosts}"
    lab_project = f"{bench_project()}-{SUBNETS}x{hosts}"
    total = len(plan.hosts)
    runs = generated_runs(hosts)
    floors, floor_downs, ups, downs, owns = [], [], [], [], []
    for run in range(1, runs + 1):
        floors.append(floor_up(ctx, path, floor_project, containers))
        if run == 1:  # memory: once, 10 s after ready
            time.sleep(SETTLE)
            floor_rss, floor_pss, _ = memory_of(floor_project, names)
        floor_downs.append(floor_down(ctx, path, floor_project, containers))
        took, output = timed(make("up", hosts), 120 + 4.0 * containers)
        ups.append(took)
        if hangs_in(output):
            ctx.note(f"{total} hosts: the compose watchdog re-ran `up -d` {hangs_in(output)} time(s)")
        owns += re.findall(r"ready in ([0-9.]+) s:", output)[-1:]
        if run == 1:
            time.sleep(SETTLE)
            rss, pss, counted = memory_of(lab_project, names)
        took, output = timed(make("down", hosts), 120 + 2.0 * containers, tolerate="stale endpoint")
        downs.append(took)
        if "stale endpoint" in output:
            ctx.note(f"{total} hosts: make down left a network with a stale endpoint (moby#42119)")
        ctx.say(f"{total} hosts run {run}/{runs}: make up {ups[-1]:.1f} s (floor {floors[-1]:.1f} s), "
                f"make down {downs[-1]:.1f} s (floor {floor_downs[-1]:.1f} s)")
    up, floor = statistics.median(ups), statistics.median(floors)
    down, floor_down_s = statistics.median(downs), statistics.median(floor_downs)
    ctx.say(f"{total} hosts: make up {up:.1f} s (floor {floor:.1f} s), {rss:.1f} MiB/host "
            f"(floor {floor_rss:.1f}), make down {down:.1f} s (floor {floor_down_s:.1f} s)")
    ctx.note(f"{total} hosts, every run (s): make up {fmt(ups)}; floor up {fmt(floors)}; "
             f"make down {fmt(downs)}; floor down {fmt(floor_downs)}; compose up to ready as "
             f"lanlab reports it {', '.join(owns) or '?'}")
    ctx.note(f"{total} hosts: memory per host RSS {rss:.1f} MiB, PSS {pss:.1f} MiB (median of {counted}); "
             f"floor RSS {floor_rss:.1f}, PSS {floor_pss:.1f} MiB")
    median_of = f", median of {runs}" if runs > 1 else ""
    size = f"{total} hosts in {SUBNETS} subnets"
    env = f"LANLAB_PROJECT={bench_project()} LANLAB_BASE={BASE}"
    from lanlab.control.lab import parallel_limit
    floor_cmd = (f"COMPOSE_PARALLEL_LIMIT={parallel_limit(containers)} COMPOSE_HTTP_TIMEOUT=300 "
                 f"docker-compose -f build/bench/floor-{SUBNETS}x{hosts}/compose.yaml -p {floor_project}")
    return [
        Result(f"{size}: `make up` to ready{median_of}", up, f"floor: compose up -d, {containers} sleeping",
               floor, "s", False, f"<= {TARGET_READY}x floor", up <= TARGET_READY * floor,
               commands=(f"{env} make up SUBNETS={SUBNETS} HOSTS={hosts}", f"{floor_cmd} up -d")),
        Result(f"{size}: resident memory per idle host (RSS)", rss, "floor: a sleeping container",
               floor_rss, "MiB", False, f"<= {TARGET_MIB:.0f} MiB", rss <= TARGET_MIB),
        Result(f"{size}: tear-down{median_of}", down, "floor: compose down", floor_down_s, "s", False,
               f"<= {TARGET_DOWN}x floor", down <= TARGET_DOWN * floor_down_s,
               commands=(f"{env} make down SUBNETS={SUBNETS} HOSTS={hosts}", f"{floor_cmd} down")),
    ]


def overlapping_routes(routes: list) -> list[str]:
    """This machine's routes inside the bench's addresses (BASE.0.0/16), the default
    route aside: a Docker network left there (one with a stale endpoint, moby#42119, even
    survives `docker network rm`) makes every floor fail with "Pool overlaps"."""
    space = ipaddress.ip_network(f"{BASE}.0.0/16")
    return [str(route) for route in routes if route.prefixlen > 0 and route.overlaps(space)]


def run(ctx: Context) -> list[Result]:
    from lanlab.control.lab import Lab
    from lanlab.control.routes import host_routes
    left, stuck = remove_bench_projects()
    if left:
        ctx.note(f"removed leftovers of an earlier run: {', '.join(left)}")
    if stuck:
        ctx.note(f"networks that stay after an earlier run (stale endpoints, moby#42119): {', '.join(stuck)}")
    taken = overlapping_routes(host_routes())
    if taken:
        why = (f"this machine already routes {', '.join(taken)}, inside the bench's {BASE}.0.0/16: "
               "remove that Docker network (`docker network ls`; a stale one needs a restart of "
               "the Docker engine) or set LANLAB_BENCH_BASE")
        ctx.note(f"not run: {why}")
        ctx.say(f"not run: {why}")
        return []
    ctx.say("making sure the images are built (not timed)")
    Lab.from_env().build()
    results: list[Result] = []
    try:
        ctx.say(f"default lab: {RUNS} runs of make up / make down against the floor")
        results += safely(ctx, "default lab", lambda: default_lab(ctx))
        for hosts_per_subnet in (n // SUBNETS for n in SIZES):
            if ctx.time_left() < 120 + 6 * hosts_per_subnet * SUBNETS * generated_runs(hosts_per_subnet):
                ctx.note(f"{hosts_per_subnet * SUBNETS} hosts: not run, the time budget is spent")
                continue
            ctx.say(f"{hosts_per_subnet * SUBNETS} hosts in {SUBNETS} subnets")
            results += safely(ctx, f"{hosts_per_subnet * SUBNETS} hosts",
                              lambda: generated_size(ctx, hosts_per_subnet))
    finally:
        cleanup(ctx)
    return results


def safely(ctx: Context, what: str, step) -> list[Result]:
    """One part failing (a timeout, a compose error) is reported; the others still run."""
    try:
        return step()
    except (StepFailed, LabError) as error:
        ctx.note(f"{what}: {error}")
        ctx.say(f"{what}: {error}; cleaning up and going on")
        cleanup(ctx)
        return []
