"""Watching the wire: what capturing every network costs a 100 MiB download, and how soon
the ladder of the fetch flow is printed.

    make bench ONLY=wire

1. The 100 MiB file (files:big.bin) fetched by alice through the router, alternating
   without and with a capture of every network (lanlab/wire/capture.py: one tcpdump per
   bridge, ring of 4 x 25 MB per network), ROUNDS times each; fetch's own rate line, the
   medians compared, and the kernel's drop count summed over the capture rounds.
   Target: with capture >= 0.8x without, 0 drops.
2. `make trace NODE=alice CMD='fetch files:hello.txt'`: seconds from the command's end to
   the ladder printed (waiting for the wire to be quiet, reading the pcaps, decoding,
   drawing), median of ROUNDS, against tshark reading the same pcap files and printing one
   line per frame (inside a lab container, so only tshark's own time counts).
   Target: <= 1 s.
"""
from __future__ import annotations

import contextlib
import io
import re
import statistics
import subprocess
import tempfile
from pathlib import Path

from lanlab.control.inventory import inventory
from lanlab.control.lab import Lab, exec_in
from lanlab.wire.capture import Capture
from lanlab.wire.trace import Options, trace_with

BUDGET = 900
ROUNDS = 3
RATE = re.compile(r"(\d+) bytes in ([\d.]+) s")


def fetch_rate(lab: Lab, name: str = "big.bin") -> float:
    """MB/s of one verified fetch, as fetch times it."""
    result = exec_in(lab.container("alice"), ["sh", "-c", f"fetch files:{name} -o /dev/null"], timeout=300)
    match = RATE.search(result.err + result.out)
    if not result.ok or not match:
        raise RuntimeError(f"fetch failed: {(result.err or result.out).strip()}")
    return int(match.group(1)) / float(match.group(2)) / 1e6


def captured_rate(lab: Lab, folder: Path) -> tuple[float, int, int]:
    """A fetch while every network is captured: (MB/s, frames dropped, frames captured)."""
    networks = list(inventory(lab.project).networks.values())
    capture = Capture(lab.project, networks, folder, immediate=False).start()   # as make capture SECONDS=
    try:
        rate = fetch_rate(lab)
        capture.wait_quiet()
    finally:
        stats = capture.stop()
        capture.abandon()
    return rate, sum(s.dropped for s in stats.values()), sum(s.captured for s in stats.values())


def ladder_seconds(lab: Lab, folder: Path) -> tuple[float, float]:
    """(our ladder's seconds after the command, tshark's seconds for the same pcaps)."""
    inv = inventory(lab.project)
    capture = Capture(lab.project, list(inv.networks.values()), folder)
    with contextlib.redirect_stdout(io.StringIO()):
        traced = trace_with(capture, inv, "alice", "fetch files:hello.txt", Options())
    return traced.ladder_seconds, tshark_seconds(lab, folder)


TSHARK = ("import subprocess, time; s = time.monotonic(); subprocess.run(['tshark', '-n', '-r', '/tmp/bench-wire.pcap'],"
          " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); print(time.monotonic() - s)")


def tshark_seconds(lab: Lab, folder: Path) -> float:
    """tshark's own time to read and print each pcap, inside alice (copied in, then removed)."""
    container, total = lab.container("alice"), 0.0
    for path in sorted(folder.glob("*.pcap")):
        subprocess.run(["docker", "cp", str(path), f"{container.id}:/tmp/bench-wire.pcap"], check=True,
                       capture_output=True, timeout=60)
        total += float(exec_in(container, ["python3", "-c", TSHARK], timeout=120).out.split()[-1])
    exec_in(container, ["rm", "-f", "/tmp/bench-wire.pcap"])
    return total


def run(ctx) -> list:
    from bench import Result

    lab = Lab.from_env()
    if not lab.is_up():
        raise RuntimeError(f"lab {lab.project!r} is not up; run `make up` first")
    plain, captured, dropped, frames, ours, theirs = [], [], 0, 0, [], []
    with tempfile.TemporaryDirectory(prefix="bench-wire-") as folder:
        ctx.say("warming up: one fetch of big.bin (the server's sha256, the page cache)")
        fetch_rate(lab)
        for number in range(1, ROUNDS + 1):
            ctx.say(f"round {number}/{ROUNDS}: fetch big.bin without, then with every network captured")
            plain.append(fetch_rate(lab))
            rate, lost, seen = captured_rate(lab, Path(folder) / f"capture-{number}")
            captured.append(rate)
            dropped, frames = dropped + lost, frames + seen
        for number in range(1, ROUNDS + 1):
            ctx.say(f"round {number}/{ROUNDS}: trace of `fetch files:hello.txt`")
            mine, tshark = ladder_seconds(lab, Path(folder) / f"trace-{number}")
            ours.append(mine)
            theirs.append(tshark)
    without, with_capture = statistics.median(plain), statistics.median(captured)
    ratio = with_capture / without
    each = ", ".join(f"{a:.0f}/{b:.0f}" for a, b in zip(plain, captured))
    ctx.note(f"Each round, fetch MB/s without/with capture: {each}; frames captured in all capture "
             f"rounds: {frames}, dropped by the kernel: {dropped}. Ladder seconds per round: "
             + ", ".join(f"{s:.2f}" for s in ours) + "; tshark: " + ", ".join(f"{s:.2f}" for s in theirs) + ".")
    commands = ("alice: fetch files:big.bin -o /dev/null  (without, then during make capture NET=all)",
                "make trace NODE=alice CMD='fetch files:hello.txt'",
                "alice: tshark -n -r - < each pcap of that trace")
    return [
        Result(name=f"100 MiB fetch alice -> files while every network is captured, median of {ROUNDS}",
               ours=round(with_capture), peer_name="the same fetch, no capture", peer=round(without),
               unit="MB/s", higher_is_better=True, target=">= 0.8x, 0 dropped",
               met=ratio >= 0.8 and dropped == 0, notes=f"{dropped} frames dropped by the kernel of {frames}",
               commands=commands),
        Result(name=f"ladder of the fetch flow printed after the command ends, median of {ROUNDS}",
               ours=round(statistics.median(ours), 2), peer_name="tshark printing the same pcaps",
               peer=round(statistics.median(theirs), 2), unit="s", higher_is_better=False,
               target="<= 1 s", met=statistics.median(ours) <= 1.0, commands=commands),
    ]
