"""DHCP benchmark: lanlab's server against ISC Kea and dnsmasq, measured by perfdhcp.

    python -m bench.bench_dhcp [--duration 10] [--clients 1000] [--start 500] [--max 40000]
                               [--passes 2]
        prints a markdown table (run alone)
    run(ctx) -> list[bench.Result]     for the `make bench` runner (bench/__init__.py)
    measure(duration=10, clients=1000, start=500, top=40000, passes=2, say=print) -> dict
        the figures: {"servers": {name: {"rate", "achieved", "drops", "latency_ms",
        "steps"}}, "ratios": {...}, "setup": str, "commands": [...]}

Setup, the same for every server, in one run: one container from the lanlab-bench
image with no network at all (`--network none`: no packet can leave it). Inside it a
veth pair joins a network namespace "cl" (10.250.0.1, where perfdhcp runs, acting as a
relay: giaddr 10.250.0.1) to the container's own namespace (10.250.0.2, where the server
runs). Each server in turn serves 10.250.0.0/16 with a pool of 51,200 addresses, router,
DNS server and domain options and one-hour leases, its leases on a Docker volume:

    lanlab   python3 -m lanlab.dhcp.program (this tree's lanlab/), every ACK durable before
             it is sent: a lease is recorded lease_slack (1800 s) longer than promised,
             so a renewal inside that needs no write; new leases are written and fsynced
             in groups
    lanlab-strict  the same with lease_slack = 0: every ACK is a journal line, fsynced
             (in groups) before the ACK leaves
    Kea      kea-dhcp4, memfile leases (CSV, persist: written, not fsynced), UDP sockets,
             single-threaded
    dnsmasq  dnsmasq, DHCP only (--port=0), lease file, --no-ping

perfdhcp -4 -g single -R CLIENTS -r RATE -p DURATION runs DORA exchanges; a rate passes
if at most 0.1% of exchanges drop (DISCOVER-OFFER plus REQUEST-ACK drops over DISCOVERs
sent); a failing step is tried once more (the machine is shared). Before the search a
5 s run at 200/s gives every client its lease (not counted). The rate doubles from
`start` until a rate fails, then a binary search (3 steps) finds the highest rate that
passes. Then, at a fixed 400/s, the server process's CPU time (/proc/PID/stat, all
threads) per completed exchange: a figure that depends much less than the highest rate on
what else the machine is doing. At 400/s every request wakes the server on its own, so
this is the cost of a lone exchange, wake-ups included; under load requests come in
batches and cost less each (it is not a capacity figure). All of it twice, the order of
the servers mirrored the second time (lanlab ... dnsmasq, then dnsmasq ... lanlab): the
machine is shared, and its load changes; the better pass of each server counts. Bounded: each perfdhcp run is limited by `timeout`,
and the container and volume are removed at the end, whatever happens.
"""
from __future__ import annotations

import argparse
import re
import sys
import time
import uuid
from pathlib import Path

import docker
import docker.errors

from bench import ensure_bench_image, remove_labelled, run_alone

BUDGET = 2400  # seconds, for the `make bench` runner

ROOT = Path(__file__).resolve().parents[1]
IMAGE = "lanlab-bench:latest"
SITE = "/usr/local/lib/python3.11/dist-packages/lanlab"
SERVER, RELAY = "10.250.0.2", "10.250.0.1"
POOL = ("10.250.1.0", "10.250.200.255")
OURS, PEERS = ("lanlab", "lanlab-strict"), ("kea", "dnsmasq")
MAX_DROPS = 0.001
CPU_RATE = 400  # exchanges/s at which the CPU cost per exchange is measured
LABEL = "lanlab.bench"
RUN = f"dhcp-{uuid.uuid4().hex[:8]}"  # this run's label value: cleanup() removes only its own

NETWORK_SETUP = f"""
ip link set lo up
ip netns add cl
ip link add b0 type veth peer name b1
ip link set b0 netns cl
ip -n cl link set lo up
ip -n cl link set b0 up
ip -n cl addr add {RELAY}/16 dev b0
ip link set b1 up
ip addr add {SERVER}/16 dev b1
mkdir -p /run/kea /var/lib/bench
"""

LANLAB_CONFIG = f"""
[server]
identifier = "{SERVER}"
dns_servers = ["10.250.0.3"]
domain = "bench.internal"
lease_time = 3600
lease_dir = "/var/lib/bench/lanlab"

[[subnet]]
name = "bench"
network = "10.250.0.0/16"
router = "{RELAY}"
pool = ["{POOL[0]}", "{POOL[1]}"]
"""

KEA_CONFIG = f"""{{"Dhcp4": {{
  "interfaces-config": {{"interfaces": ["b1"], "dhcp-socket-type": "udp"}},
  "lease-database": {{"type": "memfile", "persist": true, "lfc-interval": 0,
                      "name": "/var/lib/bench/kea/leases4.csv"}},
  "multi-threading": {{"enable-multi-threading": false}},
  "valid-lifetime": 3600, "renew-timer": 1800, "rebind-timer": 3150,
  "subnet4": [{{"id": 1, "subnet": "10.250.0.0/16",
               "pools": [{{"pool": "{POOL[0]} - {POOL[1]}"}}],
               "option-data": [{{"name": "routers", "data": "{RELAY}"}},
                               {{"name": "domain-name-servers", "data": "10.250.0.3"}},
                               {{"name": "domain-name", "data": "bench.internal"}}]}}],
  "loggers": [{{"name": "kea-dhcp4", "severity": "WARN",
                "output_options": [{{"output": "stderr"}}]}}]
}}}}
"""

STRICT_CONFIG = LANLAB_CONFIG.replace("lease_time = 3600", "lease_time = 3600\nlease_slack = 0").replace(
    "/var/lib/bench/lanlab", "/var/lib/bench/lanlab-strict")

PREPARE = {  # files each server needs, written before it starts
    "lanlab": "mkdir -p /var/lib/bench/lanlab && cat > /tmp/lanlab.toml <<'EOF'\n" + LANLAB_CONFIG + "EOF\n",
    "lanlab-strict": ("mkdir -p /var/lib/bench/lanlab-strict && cat > /tmp/lanlab-strict.toml <<'EOF'\n"
                      + STRICT_CONFIG + "EOF\n"),
    "kea": "mkdir -p /var/lib/bench/kea && cat > /tmp/kea.json <<'EOF'\n" + KEA_CONFIG + "EOF\n",
    "dnsmasq": "touch /var/lib/bench/dnsmasq.leases",
}
SERVERS = {  # the command line of each server, run in the foreground
    "lanlab": f"python3 -m lanlab.dhcp.program --config /tmp/lanlab.toml --bind {SERVER} --no-ddns",
    "lanlab-strict": f"python3 -m lanlab.dhcp.program --config /tmp/lanlab-strict.toml --bind {SERVER} --no-ddns",
    "kea": "kea-dhcp4 -c /tmp/kea.json",
    "dnsmasq": ("dnsmasq --no-daemon --port=0 --interface=b1 --bind-interfaces --no-ping "
                f"--dhcp-range={POOL[0]},{POOL[1]},255.255.0.0,1h --dhcp-lease-max=100000 "
                "--dhcp-leasefile=/var/lib/bench/dnsmasq.leases "
                f"--dhcp-option=3,{RELAY} --dhcp-option=6,10.250.0.3 --dhcp-option=15,bench.internal "
                "--log-facility=- --quiet-dhcp"),
}
NAMES = {"lanlab": "lanlab (as configured: lease_slack 1800 s)",
         "lanlab-strict": "lanlab, every ACK written (lease_slack 0)",
         "kea": "Kea 2.2 kea-dhcp4 (memfile)", "dnsmasq": "dnsmasq 2.90"}


def say(message: str) -> None:
    print(f"bench-dhcp: {message}", file=sys.stderr, flush=True)


def perfdhcp_argv(rate: int, clients: int, duration: int) -> list[str]:
    return ["ip", "netns", "exec", "cl", "perfdhcp", "-4", "-g", "single", "-R", str(clients),
            "-r", str(rate), "-p", str(duration), "-l", RELAY, SERVER]


# --- perfdhcp's report ---------------------------------------------------------------------

def parse_perfdhcp(text: str) -> dict:
    """Sent, drops and delays of both exchanges (DISCOVER-OFFER, REQUEST-ACK)."""
    sections = re.split(r"\*\*\*Statistics for: ", text)[1:]
    stats = []
    for section in sections:
        numbers = {key: float(value) for key, value in
                   re.findall(r"^(sent packets|received packets|drops|avg delay): ([\d.]+)", section, re.M)}
        stats.append(numbers)
    rate = re.search(r"^Rate: ([\d.]+)", text, re.M)
    if len(stats) < 2 or not rate or not stats[0].get("sent packets"):
        return {"ok": False, "achieved": 0.0, "drops": 1.0, "latency_ms": None, "completed": 0}
    sent = stats[0]["sent packets"]
    dropped = stats[0].get("drops", sent) + stats[1].get("drops", 0)
    latency = stats[0].get("avg delay", 0) + stats[1].get("avg delay", 0)
    return {"ok": True, "achieved": float(rate.group(1)), "drops": dropped / sent, "latency_ms": latency,
            "completed": int(stats[1].get("received packets", 0))}


# --- the container -------------------------------------------------------------------------

class Bench:
    def __init__(self):
        self.client = docker.from_env(timeout=300)
        self.volume = self.client.volumes.create(f"lanlab-bench-{RUN}", labels={LABEL: RUN})
        self.container = self.client.containers.run(
            IMAGE, ["sleep", "infinity"], detach=True, network_mode="none", init=True,
            cap_add=["NET_ADMIN", "NET_RAW", "SYS_ADMIN"], labels={LABEL: RUN},
            volumes={self.volume.name: {"bind": "/var/lib/bench", "mode": "rw"},
                     str(ROOT / "lanlab"): {"bind": SITE, "mode": "ro"}})
        self.sh(NETWORK_SETUP, timeout=30, check=True)

    def sh(self, script: str, timeout: int = 60, check: bool = False) -> str:
        result = self.container.exec_run(["timeout", "-s", "KILL", str(timeout), "sh", "-c", script])
        out = result.output.decode(errors="replace")
        if check and result.exit_code != 0:
            raise RuntimeError(f"bench container: `{script.strip().splitlines()[0]}` failed: {out.strip()[-300:]}")
        return out

    def start_server(self, name: str) -> None:
        self.sh(PREPARE[name], check=True)
        # $$ is this sh, and exec makes the server that same process: the pid file is right
        self.container.exec_run(["sh", "-c", f"echo $$ > /tmp/{name}.pid; exec {SERVERS[name]} "
                                             f">/tmp/{name}.log 2>&1"], detach=True)
        if not self.answers() or not self.running(name):
            raise RuntimeError(f"{name} did not start and answer: {self.sh(f'tail -5 /tmp/{name}.log')}")

    def running(self, name: str) -> bool:
        return "alive" in self.sh(f"kill -0 $(cat /tmp/{name}.pid) 2>/dev/null && echo alive")

    def answers(self, tries: int = 20) -> bool:
        for _ in range(tries):
            out = self.sh(" ".join(perfdhcp_argv(10, 1, 1)), timeout=15)
            if parse_perfdhcp(out)["ok"] and "received packets: 0" not in out:
                return True
            time.sleep(0.5)
        return False

    def stop_server(self, name: str) -> None:
        self.sh(f"kill $(cat /tmp/{name}.pid) 2>/dev/null; sleep 1; kill -9 $(cat /tmp/{name}.pid) 2>/dev/null; true")
        if self.running(name):
            raise RuntimeError(f"{name} (pid file /tmp/{name}.pid) would not stop")

    def cpu_seconds(self, name: str) -> float:
        """User + system CPU time of the server process, all its threads (/proc/PID/stat)."""
        fields = self.sh(f"cat /proc/$(cat /tmp/{name}.pid)/stat; getconf CLK_TCK").split()
        stat, ticks = fields[:-1], int(fields[-1])
        after_name = stat[[i for i, f in enumerate(stat) if f.endswith(")")][0] + 1:]
        return (int(after_name[11]) + int(after_name[12])) / ticks  # fields 14 and 15

    def cpu_per_exchange(self, name: str, rate: int, clients: int, duration: int) -> dict:
        """CPU microseconds the server spends per completed DORA exchange at a fixed rate:
        unlike the highest rate, it hardly depends on what else the machine is doing."""
        before = self.cpu_seconds(name)
        step = self.perfdhcp(rate, clients, duration)
        used = self.cpu_seconds(name) - before
        per = used / step["completed"] * 1e6 if step["completed"] else None
        return {"rate": rate, "cpu_us": per, "completed": step["completed"]}

    def perfdhcp(self, rate: int, clients: int, duration: int) -> dict:
        out = self.sh(" ".join(perfdhcp_argv(rate, clients, duration)), timeout=duration + 30)
        return {"rate": rate, **parse_perfdhcp(out)}

    def remove(self) -> None:
        for remove in (lambda: self.container.remove(force=True), lambda: self.volume.remove(force=True)):
            try:
                remove()
            except docker.errors.APIError as error:
                say(f"cleanup: {error}")


def try_rate(bench: Bench, name: str, rate: int, clients: int, duration: int) -> dict:
    """One step; a failing step is run once more (a hiccup of a shared machine is not the
    server's limit), and the better of the two counts."""
    step = bench.perfdhcp(rate, clients, duration)
    if step["drops"] > MAX_DROPS:
        again = bench.perfdhcp(rate, clients, duration)
        step = min(step, again, key=lambda s: s["drops"])
    say(f"{name}: {rate}/s -> {step['achieved']:.0f}/s achieved, {step['drops'] * 100:.3f}% dropped")
    return step


def highest_rate(bench: Bench, name: str, clients: int, duration: int, start: int, top: int) -> dict:
    """Double until a rate fails, then bisect three times; the best passing step."""
    steps, passed, failed = [], None, None
    rate = start
    while rate <= top:
        step = try_rate(bench, name, rate, clients, duration)
        steps.append(step)
        if step["drops"] <= MAX_DROPS:
            passed, rate = step, rate * 2
        else:
            failed = step
            break
    low = passed["rate"] if passed else 0
    high = failed["rate"] if failed else None
    for _ in range(3 if high else 0):
        rate = (low + high) // 2
        if rate <= low or rate >= high:
            break
        step = try_rate(bench, name, rate, clients, duration)
        steps.append(step)
        if step["drops"] <= MAX_DROPS:
            passed, low = step, rate
        else:
            high = rate
    best = passed or {"rate": 0, "achieved": 0.0, "drops": None, "latency_ms": None}
    return {"rate": best["rate"], "achieved": best["achieved"], "drops": best["drops"],
            "latency_ms": best["latency_ms"], "steps": steps}


def measure_one(bench: Bench, name: str, clients: int, duration: int, start: int, top: int,
                say=say) -> dict:
    say(f"{name}: starting")
    bench.start_server(name)
    try:
        bench.perfdhcp(200, clients, 5)  # warm-up: every client has its lease before the search
        result = highest_rate(bench, name, clients, duration, start, top)
        result["cpu"] = bench.cpu_per_exchange(name, CPU_RATE, clients, duration)
        say(f"{name}: highest rate {result['achieved']:.0f}/s, "
            f"{result['cpu']['cpu_us'] or 0:.1f} us CPU per exchange at {CPU_RATE}/s")
        return result
    finally:
        bench.stop_server(name)


def better(a: dict | None, b: dict) -> dict:
    """The better of two passes: the higher rate, and the lower CPU figure."""
    if a is None:
        return b
    best = dict(a if a["achieved"] >= b["achieved"] else b)
    cpus = [r["cpu"] for r in (a, b) if r["cpu"]["cpu_us"]]
    best["cpu"] = min(cpus, key=lambda c: c["cpu_us"]) if cpus else a["cpu"]
    return best


def measure(duration: int = 10, clients: int = 1000, start: int = 500, top: int = 40000,
            passes: int = 2, say=say) -> dict:
    """Each server `passes` times, the order mirrored on every other pass (a, b, c, d,
    then d, c, b, a), so that no server always gets the busier part of a shared
    machine's time; the best pass counts."""
    results: dict[str, dict] = {}
    bench = Bench()
    try:
        for number in range(passes):
            order = list(SERVERS) if number % 2 == 0 else list(reversed(SERVERS))
            for name in order:
                results[name] = better(results.get(name),
                                       measure_one(bench, name, clients, duration, start, top, say))
    finally:
        bench.remove()
    results = {name: results[name] for name in SERVERS}
    ratios = {(ours, peer): compare(results, ours, peer) for ours in OURS for peer in PEERS}
    return {"servers": results, "ratios": ratios, "clients": clients, "duration": duration,
            "passes": passes,
            "commands": [" ".join(perfdhcp_argv(0, clients, duration)).replace("-r 0", "-r RATE"),
                         "python -m bench.bench_dhcp"]}


# --- output --------------------------------------------------------------------------------

def markdown(figures: dict) -> str:
    lines = [f"DHCP DORA exchanges/s, {figures['clients']} clients, perfdhcp -g single as a relay, "
             f"{figures['duration']} s per step, highest rate with <= 0.1% drops; and the server's "
             f"CPU time per exchange at {CPU_RATE}/s; best of {figures.get('passes', 1)} passes:", "",
             "| server | highest passing rate (asked) | achieved | drops | latency (DO+RA avg) "
             f"| CPU per exchange at {CPU_RATE}/s |",
             "|---|---|---|---|---|---|"]
    for name, result in figures["servers"].items():
        drops = f"{result['drops'] * 100:.3f}%" if result["drops"] is not None else "-"
        latency = f"{result['latency_ms']:.1f} ms" if result["latency_ms"] is not None else "-"
        cpu = result.get("cpu", {})
        per = f"{cpu['cpu_us']:.1f} us" if cpu.get("cpu_us") else "-"
        lines.append(f"| {NAMES[name]} | {result['rate']}/s | {result['achieved']:.0f}/s | {drops} | {latency} "
                     f"| {per} |")
    lines.append("")
    servers = figures["servers"]
    for (ours, peer), (rate, _) in figures["ratios"].items():
        mine, theirs = servers[ours]["cpu"]["cpu_us"], servers[peer]["cpu"]["cpu_us"]
        cpu = f"{mine:.0f} us against {theirs:.0f} us" if mine and theirs else "n/a"
        lines.append(f"- {NAMES[ours]} / {NAMES[peer]}: {times(rate)} the highest rate; "
                     f"CPU per lone exchange {cpu}")
    return "\n".join(lines)


def times(ratio: float | None) -> str:
    return f"{ratio:.2f}x" if ratio is not None else "n/a"


def compare(results: dict, ours: str, peer: str) -> tuple[float | None, float | None]:
    """(our highest rate over the peer's, the peer's CPU per exchange over ours)."""
    mine, theirs = results[ours], results[peer]
    rate = mine["achieved"] / theirs["achieved"] if theirs["achieved"] else None
    a, b = mine["cpu"]["cpu_us"], theirs["cpu"]["cpu_us"]
    return rate, (b / a if a and b else None)


def run(ctx) -> list:
    """The `make bench` runner's entry point (see bench/__init__.py)."""
    from bench import Result

    ensure_bench_image(ctx.say)
    figures = measure(duration=6, start=1000, say=ctx.say)
    servers, results = figures["servers"], []
    for ours in OURS:
        for peer, target in (("kea", 1.0), ("dnsmasq", 10.0)):
            mine, theirs = servers[ours]["achieved"], servers[peer]["achieved"]
            results.append(Result(
                name=f"DHCP DORA exchanges/s, {figures['clients']} clients, <= 0.1% drops: {NAMES[ours]}",
                ours=round(mine), peer_name=NAMES[peer], peer=round(theirs), unit="exchanges/s",
                higher_is_better=True, target=f">= {target:g}x {NAMES[peer]}",
                met=bool(theirs) and mine >= target * theirs,
                notes=f"CPU per exchange: {servers[ours]['cpu']['cpu_us'] or 0:.0f} us against "
                      f"{servers[peer]['cpu']['cpu_us'] or 0:.0f} us", commands=tuple(figures["commands"])))
    for ours in OURS:
        mine, theirs = servers[ours]["cpu"]["cpu_us"], servers["kea"]["cpu"]["cpu_us"]
        results.append(Result(
            name=f"DHCP server CPU time per lone exchange (at {CPU_RATE}/s): {NAMES[ours]}",
            ours=round(mine) if mine else None, peer_name=NAMES["kea"],
            peer=round(theirs) if theirs else None, unit="us", higher_is_better=False,
            notes="wake-ups included: not a capacity figure", commands=tuple(figures["commands"])))
    ctx.note(markdown(figures))
    return results


def cleanup(ctx) -> None:
    """After a stop by the runner: remove this run's container and volume (by label)."""
    remove_labelled(f"{LABEL}={RUN}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_dhcp", description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per perfdhcp run")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--start", type=int, default=500, help="first rate tried (exchanges/s)")
    parser.add_argument("--max", type=int, default=40000, help="highest rate tried")
    parser.add_argument("--passes", type=int, default=2, help="passes over the servers, order mirrored")
    args = parser.parse_args(argv)
    return run_alone("bench-dhcp", say,
                     lambda: measure(args.duration, args.clients, args.start, args.max, args.passes),
                     markdown, (docker.errors.DockerException, RuntimeError))


if __name__ == "__main__":
    sys.exit(main())
