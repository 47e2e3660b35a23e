"""DNS benchmark: lanlab's server against dnsmasq, measured by dnsperf.

    from bench.bench_dns import measure_all, markdown
    results = measure_all(duration=5, rate=2000, runs=5, latency_runs=16)   # a dict, see below
    print(markdown(results))
    run(ctx) -> list[bench.Result]                          # for the `make bench` runner

    python -m bench.bench_dns [--duration 5] [--rate 2000] [--runs 5] [--hosts 100]
                              [--latency-runs 16] [--latency-duration 3] [--floors]

Setup, the same for both servers: one internal Docker network (nothing routes out of
it), containers from the lanlab-bench image (Debian's dnsperf and dnsmasq on the lanlab
base): our server (the working tree's lanlab/ mounted read-only, serving lab.internal
plus `hosts` names), dnsmasq serving the same names with --host-record (A and PTR), no
upstream (--no-resolv), no /etc/hosts, listening on its container's interface only,
and dnsperf. The query file asks for every name's A and every address's PTR.

First the highest rate: `runs` runs per server (dnsperf with 4 clients, 100 queries
outstanding, no rate limit, for `duration` seconds), with the server container's CPU
time per answered query (from Docker's stats: fair even on a busy machine). Then the
average latency at a fixed `rate` queries/s: `latency_runs` rounds of `latency_duration`
seconds, each round every contender one after the other, in the orders of a Williams
square (see turns). At a low rate most of a query's time is dnsperf's two threads and
the kernel waking each side across this machine's two CPUs, and a run's average moves
by about ±5 us, so many short rounds are measured and their median reported, with the
round-by-round ratio. With `floors` (as `make bench` runs it), a Python and a C loop that
only echo each query take part in the latency rounds: the least any server could do.
docs/dns-latency.md says what was traced and tried. The containers and the network are
removed at the end, whatever happens.

`measure_all` returns {"servers": {"lanlab": {...}, "dnsmasq": {...}}, "ratio": {...},
"latency_rounds": {...}, ...}, each server with max_qps, latency_ms (at `rate`), cpu_us
(per query), lost and rcodes.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import docker
import docker.errors

from bench import ensure_bench_image, remove_labelled, run_alone

ROOT = Path(__file__).resolve().parents[1]
IMAGE = os.environ.get("LANLAB_BENCH_IMAGE", "lanlab-bench:latest")
SITE = "/usr/local/lib/python3.11/dist-packages/lanlab"
PREFIX = "192.168.7"  # inside the bench's own network's containers only: names, not routes


def say(message: str) -> None:
    print(f"bench-dns: {message}", file=sys.stderr, flush=True)


# --- what both servers serve, and what dnsperf asks ---------------------------------------

def names(hosts: int) -> dict[str, str]:
    """h001.lab.internal -> 192.168.7.101 ... plus the fixed dns and dhcp."""
    if not 0 < hosts <= 150:
        raise ValueError("--hosts must be 1 to 150 (they live in .101-.250 of one /24)")
    table = {"dns": "10.0.0.3", "dhcp": "10.0.0.2"}
    table.update({f"h{i:03d}": f"{PREFIX}.{100 + i}" for i in range(1, hosts + 1)})
    return table


def lanlab_config(hosts: int) -> str:
    lines = ['domain = "lab.internal"', 'nameserver = "dns"', "ttl = 300", "negative_ttl = 60", "",
             "[server]", 'listen = "0.0.0.0"', "port = 53", 'records = "/tmp/records"',
             'key = "/tmp/keys/tsig.key"', "max_records = 100000", "",
             "[[subnet]]", 'name = "lan-a"', f'network = "{PREFIX}.0/24"', f'router = "{PREFIX}.1"', "",
             "[[subnet]]", 'name = "svc"', 'network = "10.0.0.0/24"', 'router = "10.0.0.1"', "", "[hosts]"]
    lines += [f'{name} = "{address}"' for name, address in names(hosts).items()]
    return "\n".join(lines) + "\n"


def dnsmasq_command(hosts: int) -> list[str]:
    command = ["dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--bind-interfaces",
               "--interface=eth0", "--except-interface=lo", "--cache-size=0", "--log-facility=-",
               "--local=/lab.internal/", f"--local=/{'.'.join(reversed(PREFIX.split('.')))}.in-addr.arpa/"]
    command += [f"--host-record={name}.lab.internal,{address}" for name, address in names(hosts).items()]
    return command


def query_file(hosts: int) -> str:
    lines = []
    for name, address in names(hosts).items():
        lines.append(f"{name}.lab.internal A")
        lines.append(".".join(reversed(address.split("."))) + ".in-addr.arpa PTR")
    return "\n".join(lines) + "\n"


# --- the floors: the least a UDP responder can do ----------------------------------------
# Not DNS servers: each answers a query with the query itself, QR and AA set (dnsperf
# counts it as a NOERROR reply). They show what the machine's wake-ups cost any server.

PYTHON_ECHO = """\
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 53))
while True:
    wire, peer = s.recvfrom(65535)
    s.sendto(wire[:2] + bytes((wire[2] | 0x84,)) + wire[3:], peer)
"""

C_ECHO = """\
#include <netinet/in.h>
#include <sys/socket.h>
int main(void) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(53)};
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0) return 1;
    for (unsigned char buf[65536];;) {
        struct sockaddr_in peer;
        socklen_t size = sizeof peer;
        ssize_t n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&peer, &size);
        if (n < 12) continue;
        buf[2] |= 0x84;
        sendto(s, buf, n, 0, (struct sockaddr *)&peer, size);
    }
}
"""


def build_c_echo(workdir: Path) -> bool:
    """Compile the C floor, static, with the machine's gcc; False (and a line) without one."""
    source = workdir / "echo.c"
    source.write_text(C_ECHO)
    try:
        subprocess.run(["gcc", "-O2", "-static", "-o", str(workdir / "echo"), str(source)],
                       check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as error:
        why = (getattr(error, "stderr", None) or str(error)).strip().splitlines()[0]
        say(f"no C floor: gcc could not build it ({why}); install gcc and libc6-dev to have it")
        return False
    return True


# --- dnsperf output -----------------------------------------------------------------------

def parse_dnsperf(text: str) -> dict:
    def number(label: str) -> float:
        match = re.search(rf"{label}:\s+([0-9.]+)", text)
        if not match:
            raise RuntimeError(f"dnsperf printed no '{label}'; its output ends: {text[-300:]}")
        return float(match.group(1))
    codes = re.search(r"Response codes:\s+(.*)", text)
    return {"qps": number("Queries per second"), "latency_ms": number("Average Latency \\(s\\)") * 1000,
            "lost": int(number("Queries lost")), "completed": int(number("Queries completed")),
            "rcodes": codes.group(1).strip() if codes else ""}


# --- containers ---------------------------------------------------------------------------

class Bench:
    def __init__(self, hosts: int, workdir: Path, floors: bool = False):
        self.floors = floors
        self.client = docker.from_env(timeout=120)
        self.tag = f"lanlab-bench-dns-{os.getpid()}"
        self.workdir = workdir
        self.hosts = hosts
        self.network = None
        self.containers: dict[str, object] = {}

    def __enter__(self) -> "Bench":
        try:
            self.client.images.get(IMAGE)
        except docker.errors.ImageNotFound:
            raise SystemExit(f"bench-dns: the image {IMAGE} is missing; build it first (lanlab-bench, base/bench-packages.txt)")
        (self.workdir / "lanlab.toml").write_text(lanlab_config(self.hosts))
        (self.workdir / "queries.txt").write_text(query_file(self.hosts))
        say(f"network {self.tag} (internal: nothing routes out of it)")
        self.network = self.client.networks.create(self.tag, driver="bridge", internal=True,
                                                   labels={"lanlab.bench": "dns"})
        self.start("lanlab", ["python3", "-m", "lanlab.nameserver.program", "/bench/lanlab.toml"])
        self.start("dnsmasq", dnsmasq_command(self.hosts))
        if self.floors:
            (self.workdir / "echo.py").write_text(PYTHON_ECHO)
            self.start("python-echo", ["python3", "/bench/echo.py"])
            if build_c_echo(self.workdir):
                self.start("c-echo", ["/bench/echo"])
        return self

    def __exit__(self, *exc) -> None:
        for container in self.containers.values():
            try:
                container.remove(force=True)
            except docker.errors.APIError:
                pass
        if self.network is not None:
            self.network.remove()
        say("containers and network removed")

    def start(self, name: str, command: list[str]) -> None:
        volumes = {str(self.workdir): {"bind": "/bench", "mode": "ro"},
                   str(ROOT / "lanlab"): {"bind": SITE, "mode": "ro"}}
        self.containers[name] = self.client.containers.run(
            IMAGE, command, name=f"{self.tag}-{name}", network=self.tag, volumes=volumes, detach=True,
            labels={"lanlab.bench": "dns"})

    def address(self, name: str) -> str:
        container = self.containers[name]
        container.reload()
        return container.attrs["NetworkSettings"]["Networks"][self.tag]["IPAddress"]

    def wait_answering(self, name: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.dnsperf(name, ["-l", "1", "-Q", "10"], quiet=True)["completed"] > 0:
                return
            time.sleep(0.5)
        logs = self.containers[name].logs(tail=20).decode(errors="replace")
        raise SystemExit(f"bench-dns: {name} does not answer after {timeout:.0f} s:\n{logs}")

    def cpu_ns(self, name: str) -> int:
        """CPU time the server's container has used so far (all its processes)."""
        stats = self.containers[name].stats(stream=False, one_shot=True)
        return stats["cpu_stats"]["cpu_usage"]["total_usage"]

    def dnsperf(self, name: str, options: list[str], quiet: bool = False) -> dict:
        command = ["dnsperf", "-s", self.address(name), "-d", "/bench/queries.txt", "-t", "2", *options]
        container = self.client.containers.run(IMAGE, command, network=self.tag, detach=True,
                                               volumes={str(self.workdir): {"bind": "/bench", "mode": "ro"}},
                                               labels={"lanlab.bench": "dns"})
        try:
            container.wait(timeout=120)
            return parse_dnsperf(container.logs().decode(errors="replace"))
        except RuntimeError:
            if quiet:
                return {"completed": 0}
            raise
        finally:
            container.remove(force=True)


def peak(bench: Bench, name: str, duration: int) -> dict:
    """The highest rate, and the server's CPU time per answered query at that rate."""
    before = bench.cpu_ns(name)
    figures = bench.dnsperf(name, ["-l", str(duration), "-c", "4", "-q", "100"])
    cpu_us = (bench.cpu_ns(name) - before) / 1000 / max(figures["completed"], 1)
    say(f"{name:8} max {figures['qps']:9.0f} q/s (lost {figures['lost']}), {cpu_us:.1f} us CPU/query "
        f"({figures['rcodes']})")
    return {"max_qps": figures["qps"], "cpu_us": cpu_us, "lost": figures["lost"], "rcodes": figures["rcodes"]}


def steady(bench: Bench, name: str, duration: int, rate: int) -> dict:
    """The average latency at a fixed rate."""
    figures = bench.dnsperf(name, ["-l", str(duration), "-c", "4", "-Q", str(rate)])
    say(f"{name:8} at {rate} q/s {figures['latency_ms'] * 1000:.0f} us ({figures['rcodes']})")
    return {"latency_ms": figures["latency_ms"], "lost": figures["lost"]}


def turns(rounds: int, names: list[str]) -> list[list[str]]:
    """The order of the contenders in each round, from a Williams square: within every
    len(names) rounds (2 * len(names) for an odd number), each contender is measured in
    each place equally often and follows each other contender equally often. Both
    matter here: a run's latency depends on the run before it (the run after another
    server's run was ~4 us faster than the run after its own), and a plain rotation
    would give each contender the same predecessor every time."""
    count = len(names)
    first = [0]
    for step in range(1, count):  # 0, 1, n-1, 2, n-2, ...
        first.append((step + 1) // 2 if step % 2 else count - step // 2)
    square = [[(place + shift) % count for place in first] for shift in range(count)]
    if count % 2:
        square += [list(reversed(row)) for row in square]
    return [[names[index] for index in square[number % len(square)]] for number in range(rounds)]


def summary(peaks: list[dict], latencies: list[dict]) -> dict:
    """One server's figures: the medians over its runs, and the runs themselves."""
    return {"max_qps": statistics.median(s["max_qps"] for s in peaks),
            "latency_ms": statistics.median(s["latency_ms"] for s in latencies),
            "cpu_us": statistics.median(s["cpu_us"] for s in peaks),
            "lost": sum(s["lost"] for s in peaks + latencies), "rcodes": peaks[-1]["rcodes"],
            "samples": {"peak": peaks, "latency": latencies}}


def paired(ours: list[float], theirs: list[float]) -> dict:
    """Round by round (the two servers measured one after the other): the ratio's median
    and quartiles, and in how many rounds ours was lower."""
    ratios = sorted(a / b for a, b in zip(ours, theirs))
    quartiles = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
    return {"median": statistics.median(ratios), "low": quartiles[0], "high": quartiles[-1],
            "lower": sum(a < b for a, b in zip(ours, theirs)), "rounds": len(ratios)}


def measure_all(duration: int = 5, rate: int = 2000, runs: int = 5, hosts: int = 100,
                latency_runs: int = 16, latency_duration: int = 3, floors: bool = False) -> dict:
    """Both servers: `runs` runs at the highest rate, then `latency_runs` rounds at `rate`
    (a latency average moves by several microseconds from one run to the next, with the
    machine's scheduling: many short rounds give a steadier median than a few long ones).
    With `floors`, the two echo floors take part in the latency rounds too.
    Returns the medians, the ratios and the round-by-round comparison of the latency."""
    names = ["lanlab", "dnsmasq"]
    peaks: dict[str, list[dict]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory(prefix="lanlab-bench-dns-") as workdir, \
            Bench(hosts, Path(workdir), floors) as bench:
        contenders = list(bench.containers)  # the servers, then the floors that started
        latencies: dict[str, list[dict]] = {name: [] for name in contenders}
        for name in contenders:
            bench.wait_answering(name)
        for number, order in enumerate(turns(runs, names), 1):
            say(f"run {number}/{runs}: {duration} s at full speed, each server")
            for name in order:
                peaks[name].append(peak(bench, name, duration))
        for number, order in enumerate(turns(latency_runs, contenders), 1):
            say(f"round {number}/{latency_runs}: {latency_duration} s at {rate} q/s, each of {len(order)}")
            for name in order:
                latencies[name].append(steady(bench, name, latency_duration, rate))
    servers = {name: summary(peaks[name], latencies[name]) for name in names}
    ours, theirs = servers["lanlab"], servers["dnsmasq"]
    return {
        "date": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count(), "load": os.getloadavg()[0],
        "duration_s": duration, "rate": rate, "runs": runs, "names": hosts + 2,
        "latency_runs": latency_runs, "latency_duration_s": latency_duration,
        "servers": servers,
        "floors": {name: {"latency_ms": statistics.median(s["latency_ms"] for s in latencies[name]),
                          "samples": latencies[name]} for name in contenders if name not in names},
        "ratio": {"max_qps": ours["max_qps"] / theirs["max_qps"],
                  "latency": ours["latency_ms"] / theirs["latency_ms"],
                  "cpu": ours["cpu_us"] / theirs["cpu_us"]},
        "latency_rounds": paired([s["latency_ms"] for s in latencies["lanlab"]],
                                 [s["latency_ms"] for s in latencies["dnsmasq"]]),
    }


def markdown(results: dict) -> str:
    rows = ["| server | max queries/s | avg latency at {rate} q/s | server CPU per query | lost | response codes |"
            .format(**results), "|---|---:|---:|---:|---:|---|"]
    for name, server in results["servers"].items():
        rows.append(f"| {name} | {server['max_qps']:,.0f} | {server['latency_ms'] * 1000:.1f} us | "
                    f"{server['cpu_us']:.1f} us | {server['lost']} | {server['rcodes']} |")
    for name, floor in results.get("floors", {}).items():
        rows.append(f"| {name} (floor: echoes the query, no DNS work) | - | {floor['latency_ms'] * 1000:.1f} us | - | | |")
    ratio = results["ratio"]
    rows.append(f"| lanlab / dnsmasq | {ratio['max_qps']:.2f}x | {ratio['latency']:.2f}x | {ratio['cpu']:.2f}x | | |")
    note = (f"\ndnsperf, {results['names']} names (A and PTR); the highest rate: median of {results['runs']} runs "
            f"of {results['duration_s']} s; the latency: median of {results['latency_runs']} rounds of "
            f"{results['latency_duration_s']} s. {rounds_line(results)} "
            f"{results['cpus']} CPUs, load {results['load']:.1f}, {results['date']}.")
    return "\n".join(rows) + "\n" + note


def rounds_line(results: dict) -> str:
    rounds = results["latency_rounds"]
    return (f"Latency round by round: lanlab lower in {rounds['lower']} of {rounds['rounds']}; "
            f"lanlab / dnsmasq median {rounds['median']:.2f}x, quartiles {rounds['low']:.2f}-{rounds['high']:.2f}x.")


def run(ctx) -> list:
    """The `make bench` runner's entry point (see bench/__init__.py). Its targets:
    at least dnsmasq's rate, and an average latency at 2,000 queries/s no worse."""
    from bench import Result

    ensure_bench_image(ctx.say)
    results = measure_all(floors=True)
    ours, theirs = results["servers"]["lanlab"], results["servers"]["dnsmasq"]
    peer = "dnsmasq (--host-record, no cache, no upstream)"
    commands = (f"dnsperf -s SERVER -d queries.txt -t 2 -l {results['duration_s']} -c 4 -q 100     (the highest rate)",
                f"dnsperf -s SERVER -d queries.txt -t 2 -l {results['latency_duration_s']} -c 4 "
                f"-Q {results['rate']}   (the latency)",
                "python -m bench.bench_dns")
    ctx.note(markdown(results))
    return [
        Result(name=f"DNS queries/s answered, dnsperf, {results['names']} names (A and PTR), "
                    f"median of {results['runs']}", ours=round(ours["max_qps"]), peer_name=peer,
               peer=round(theirs["max_qps"]), unit="queries/s", higher_is_better=True,
               target=">= 1x dnsmasq", met=ours["max_qps"] >= theirs["max_qps"],
               notes=f"lost {ours['lost']} (dnsmasq {theirs['lost']})", commands=commands),
        Result(name=f"DNS average latency at {results['rate']} queries/s, median of {results['latency_runs']} rounds",
               ours=round(ours["latency_ms"] * 1000, 1), peer_name=peer, peer=round(theirs["latency_ms"] * 1000, 1),
               unit="us", higher_is_better=False, target="<= 1x dnsmasq",
               met=ours["latency_ms"] <= theirs["latency_ms"], notes=rounds_line(results), commands=commands),
        Result(name="DNS server CPU time per query at the highest rate", ours=round(ours["cpu_us"], 1),
               peer_name=peer, peer=round(theirs["cpu_us"], 1), unit="us", higher_is_better=False,
               notes="the container's CPU time (Docker's stats) over queries answered", commands=commands),
    ]


def cleanup(ctx) -> None:
    """After a stop by the runner: remove what a run left (containers, then networks)."""
    remove_labelled("lanlab.bench=dns")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="lanlab DNS server against dnsmasq, measured by dnsperf")
    parser.add_argument("--duration", type=int, default=5, help="seconds per measurement (default 5)")
    parser.add_argument("--rate", type=int, default=2000, help="fixed rate for the latency figure (default 2000)")
    parser.add_argument("--runs", type=int, default=5, help="runs at the highest rate per server (default 5)")
    parser.add_argument("--latency-runs", type=int, default=16, help="rounds at --rate per server (default 16)")
    parser.add_argument("--latency-duration", type=int, default=3, help="seconds per latency round (default 3)")
    parser.add_argument("--hosts", type=int, default=100, help="names served besides dns and dhcp (default 100)")
    parser.add_argument("--floors", action="store_true",
                        help="also measure the latency of a Python and a C UDP echo loop (the floors)")
    args = parser.parse_args(argv)
    return run_alone("bench-dns", say,
                     lambda: measure_all(args.duration, args.rate, args.runs, args.hosts,
                                         args.latency_runs, args.latency_duration, args.floors),
                     markdown, (docker.errors.DockerException,))


if __name__ == "__main__":
    sys.exit(main())
