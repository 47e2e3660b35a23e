"""Benchmark: the file service, alice -> files through the router, against iperf3.

    python -m bench.bench_files            (prints a markdown table)

    from bench import bench_files
    result = bench_files.measure_lab()     # same, returns a dict; see its docstring
    bench_files.run(ctx)                   # for the `make bench` runner: bench.Result rows

What it measures, in one run, on the same path (alice on lan-a, files on lan-b, the router
between them):
  1. throughput: `fetch files:bench-1g.bin -o /dev/null` (a 1 GiB file: the status line, the
     bytes, and the client's sha256 over all of them) against `iperf3 -c files -R` (raw TCP
     in the same direction, files to alice; nothing checked), alternating, `repeats` times
     each; the medians are compared.
     Target: fetch >= 0.9 x iperf3.
  2. memory: the file server's resident memory (VmRSS of the process that serves, sampled
     every 0.25 s, and its VmHWM) while `clients` fetches of the 1 GiB file run at once from
     alice, bob and carol. Target: < 50 MiB.

The 1 GiB file is made sparse (truncate) in the files container for the run and removed
after; it costs no disk. Every command runs inside the lab's containers, so all traffic stays
in the lab. Each step is bounded (`limit` seconds for the memory step's clients). If the
lab is not up, run() starts it and removes it afterwards; if it is, it stays up.
"""
from __future__ import annotations

import json
import re
import statistics
import sys
import threading
import time

from lanlab.control.errors import LabError
from lanlab.control.execute import exec_in
from lanlab.control.lab import Lab

BIG = "bench-1g.bin"
IPERF_PORT = 5201
SERVER_PROCESS = "python3 -S /opt/lanlab/nodes/entrypoint.py"  # the host's one process (lanlab/host/program.py)
RATE = re.compile(r"(\d+) bytes in ([\d.]+) s")


class BenchError(RuntimeError):
    """A step that could not be measured; the text says which and why."""


def say(message: str) -> None:
    print(f"bench_files: {message}", file=sys.stderr, flush=True)


class InLab:
    """The few things the benchmark does in the lab's containers."""

    def __init__(self, lab: Lab):
        self.lab = lab

    def sh(self, service: str, script: str, timeout: float = 120):
        return exec_in(self.lab.container(service), ["sh", "-c", script], timeout=timeout)

    def ok(self, service: str, script: str, timeout: float = 120) -> str:
        result = self.sh(service, script, timeout)
        if not result.ok:
            raise BenchError(f"{service}: `{script}` failed ({result.code}): {(result.err or result.out).strip()[-300:]}")
        return result.out

    def address(self, service: str) -> str:
        out = self.ok(service, "ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -1")
        return out.strip()


# --- the measurements ---------------------------------------------------------------

def iperf3_rate(lab: InLab, server: str, seconds: int) -> float:
    """Bytes per second from files to alice (-R: the server sends, as in a download), as
    iperf3's receiving end counts them."""
    lab.ok("files", f"iperf3 -s -1 -D -p {IPERF_PORT} --logfile /tmp/iperf3-bench.log")
    time.sleep(0.5)
    out = lab.ok("alice", f"iperf3 -c {server} -p {IPERF_PORT} -t {seconds} -R -J", timeout=seconds + 60)
    return json.loads(out)["end"]["sum_received"]["bits_per_second"] / 8


def fetch_rate(lab: InLab, server: str, name: str = BIG) -> float:
    """Bytes per second of one verified fetch, as fetch times its transfer."""
    result = lab.sh("alice", f"fetch {server}:{name} -o /dev/null", timeout=600)
    match = RATE.search(result.err)
    if not result.ok or not match:
        raise BenchError(f"fetch failed: {result.err.strip()}")
    return int(match.group(1)) / float(match.group(2))


def server_pid(lab: InLab) -> str:
    """The Python process that serves (anchored: the `sh -c` that runs pgrep has the same words)."""
    pid = lab.ok("files", f"pgrep -f '^{SERVER_PROCESS}'").strip()
    if not pid.isdigit():
        raise BenchError("cannot find the file server's process in files")
    return pid


def rss_kib(lab: InLab, pid: str, field: str = "VmRSS") -> int:
    out = lab.ok("files", f"grep {field} /proc/{pid}/status")
    return int(out.split()[1])


def memory_under_load(lab: InLab, server: str, clients: int, limit: int) -> dict:
    """Peak resident memory of the server while `clients` fetch the big file at once."""
    pid = server_pid(lab)
    before = rss_kib(lab, pid)
    lab.ok("files", f"rm -f /tmp/rss.txt; (while true; do grep VmRSS /proc/{pid}/status >> /tmp/rss.txt; "
                    f"sleep 0.25; done > /dev/null 2>&1 & echo $! > /tmp/rss.pid)")
    hosts = ["alice", "bob", "carol"]
    shares = [clients // len(hosts) + (1 if i < clients % len(hosts) else 0) for i in range(len(hosts))]
    started = time.monotonic()
    outs = run_parallel([
        (host, f"for i in $(seq {count}); do (timeout {limit} fetch -q {server}:{BIG} -o /dev/null; "
               f"echo rc=$?) & done; wait", limit + 60)
        for host, count in zip(hosts, shares) if count
    ], lab)
    took = time.monotonic() - started
    lab.sh("files", "kill $(cat /tmp/rss.pid)")
    samples = [int(line.split()[1]) for line in lab.ok("files", "cat /tmp/rss.txt").splitlines() if line.strip()]
    finished = sum(out.count("rc=0") for out in outs)
    return {
        "before_kib": before,
        "peak_kib": max(samples + [before]),
        "hwm_kib": rss_kib(lab, pid, "VmHWM"),
        "samples": len(samples),
        "finished": finished,
        "clients": clients,
        "seconds": took,
    }


def run_parallel(jobs, lab: InLab) -> list[str]:
    outs = [""] * len(jobs)

    def one(index, host, script, timeout):
        outs[index] = lab.sh(host, script, timeout).out

    threads = [threading.Thread(target=one, args=(i, *job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outs


# --- the run ------------------------------------------------------------------------

def measure_lab(lab: Lab | None = None, repeats: int = 3, iperf_seconds: int = 5, clients: int = 20,
                limit: int = 180, big_mib: int = 1024) -> dict:
    """Measure, print progress on stderr, and return:

        {"title": str,
         "rows": [{"measure", "lanlab", "peer", "ratio", "target", "met"}, ...],
         "figures": {...raw numbers...},
         "commands": [str, ...],          # what was run, to reproduce by hand
         "markdown": str}                 # the table and the commands, ready to paste
    """
    lab = lab or Lab.from_env()
    started_here = not lab.is_up()
    if started_here:
        say(f"lab {lab.project!r} is not up: starting it (and removing it afterwards)")
        lab.up()
    try:
        return measure(InLab(lab), repeats, iperf_seconds, clients, limit, big_mib)
    finally:
        if started_here:
            lab.down()


def measure(lab: InLab, repeats: int, iperf_seconds: int, clients: int, limit: int, big_mib: int) -> dict:
    server = lab.address("files")
    say(f"making a sparse {big_mib} MiB file in files:/srv/files/{BIG}")
    lab.ok("files", f"truncate -s {big_mib}M /srv/files/{BIG}")
    try:
        say("warming up: the server computes the file's sha256 once, the page cache fills")
        fetch_rate(lab, server)
        iperf, fetch = [], []
        for round_ in range(1, repeats + 1):
            say(f"round {round_}/{repeats}: iperf3 for {iperf_seconds} s, then fetch {big_mib} MiB")
            iperf.append(iperf3_rate(lab, server, iperf_seconds))
            fetch.append(fetch_rate(lab, server))
        say(f"memory: {clients} fetches of {big_mib} MiB at once (each bounded to {limit} s)")
        memory = memory_under_load(lab, server, clients, limit)
    finally:
        lab.sh("files", f"rm -f /srv/files/{BIG}")
    return report(server, iperf, fetch, memory, repeats, iperf_seconds, clients, big_mib)


def report(server, iperf, fetch, memory, repeats, iperf_seconds, clients, big_mib) -> dict:
    iperf_mb, fetch_mb = statistics.median(iperf) / 1e6, statistics.median(fetch) / 1e6
    ratio = fetch_mb / iperf_mb if iperf_mb else 0.0
    peak_mib = memory["peak_kib"] / 1024
    rows = [
        {"measure": f"alice -> files through the router, {big_mib} MiB, MB/s (median of {repeats})",
         "lanlab": f"{fetch_mb:.0f} (fetch, sha256 checked)", "peer": f"{iperf_mb:.0f} (iperf3)",
         "ratio": f"{ratio:.2f}", "target": ">= 0.9", "met": ratio >= 0.9},
        {"measure": f"file server resident memory, {big_mib} MiB file, {clients} clients at once",
         "lanlab": f"{peak_mib:.1f} MiB peak ({memory['before_kib'] / 1024:.1f} idle, "
                   f"{memory['finished']}/{clients} finished)",
         "peer": "-", "ratio": "-", "target": "< 50 MiB", "met": peak_mib < 50},
    ]
    commands = [
        f"files: truncate -s {big_mib}M /srv/files/{BIG}",
        f"files: iperf3 -s -1 -D -p {IPERF_PORT};  alice: iperf3 -c {server} -p {IPERF_PORT} -t {iperf_seconds} -R -J",
        f"alice: fetch {server}:{BIG} -o /dev/null   (rate from its summary line)",
        f"alice, bob, carol: {clients} x `fetch -q {server}:{BIG} -o /dev/null` at once; "
        f"files: VmRSS of `pgrep -f '^{SERVER_PROCESS}'` every 0.25 s",
    ]
    figures = {"iperf3_bytes_per_s": iperf, "fetch_bytes_per_s": fetch, "memory": memory,
               "fetch_mb_s": fetch_mb, "iperf3_mb_s": iperf_mb, "peak_mib": peak_mib,
               "repeats": repeats, "clients": clients, "big_mib": big_mib}
    title = "File service: fetch vs iperf3, server memory"
    return {"title": title, "rows": rows, "figures": figures, "commands": commands,
            "markdown": markdown(title, rows, figures, commands)}


def markdown(title: str, rows: list[dict], figures: dict, commands: list[str]) -> str:
    lines = [f"### {title}", "", "| measure | lanlab | peer | ratio | target | met |", "|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['measure']} | {row['lanlab']} | {row['peer']} | {row['ratio']} | "
                     f"{row['target']} | {'yes' if row['met'] else 'no'} |")
    each = ", ".join(f"{a / 1e6:.0f}/{b / 1e6:.0f}" for a, b in
                     zip(figures["fetch_bytes_per_s"], figures["iperf3_bytes_per_s"]))
    memory = figures["memory"]
    lines += ["", f"Each round, fetch/iperf3 MB/s: {each}. Memory: {memory['samples']} samples over "
                  f"{memory['seconds']:.0f} s, VmHWM {memory['hwm_kib'] / 1024:.1f} MiB.", "", "Commands:", ""]
    lines += [f"    {command}" for command in commands]
    return "\n".join(lines) + "\n"


def run(ctx) -> list:
    """The `make bench` runner's entry point (see bench/__init__.py). Its targets:
    fetch at least 0.9x iperf3 on the same path; the server under 50 MiB with 20 clients."""
    from bench import Result

    result = measure_lab()
    figures, commands = result["figures"], tuple(result["commands"])
    memory = figures["memory"]
    ctx.note(result["markdown"])
    return [
        Result(name=f"download alice -> files through the router, {figures['big_mib']} MiB, "
                    f"median of {figures['repeats']} (fetch checks sha256)",
               ours=round(figures["fetch_mb_s"]), peer_name="iperf3 -R on the same path",
               peer=round(figures["iperf3_mb_s"]), unit="MB/s", higher_is_better=True,
               target=">= 0.9x iperf3", met=figures["fetch_mb_s"] >= 0.9 * figures["iperf3_mb_s"],
               commands=commands),
        Result(name=f"file server resident memory, {figures['big_mib']} MiB file, "
                    f"{figures['clients']} clients at once (peak VmRSS)",
               ours=round(figures["peak_mib"], 1), peer_name="-", peer=None, unit="MiB",
               higher_is_better=False, target="< 50 MiB", met=figures["peak_mib"] < 50,
               notes=f"{memory['finished']}/{memory['clients']} fetches finished; idle "
                     f"{memory['before_kib'] / 1024:.1f} MiB", commands=commands),
    ]


def main(argv: list[str] | None = None) -> int:
    import argparse
    parser = argparse.ArgumentParser(prog="python -m bench.bench_files", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5, help="iperf3 run length")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--limit", type=int, default=180, help="seconds each memory-step client may take")
    parser.add_argument("--mib", type=int, default=1024, help="size of the benchmark file")
    args = parser.parse_args(argv)
    try:
        result = measure_lab(repeats=args.repeats, iperf_seconds=args.seconds, clients=args.clients,
                     limit=args.limit, big_mib=args.mib)
    except (BenchError, LabError) as error:
        print(f"bench_files: error: {error}", file=sys.stderr)
        return 1
    print(result["markdown"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
