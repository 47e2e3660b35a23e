"""Socket calls: the course's download client with and without the call recorder (CALLS=1).

In the running lab (or one it starts and removes), alice runs the course's download client
(tests/course/download_client.py, only SERVER_IP changed) against files, for hello.txt and
for big.bin (100 MiB, written to /dev/null through a symlink), `repeats` times each way,
alternating, and the medians are compared:
  plain     the command's run time in alice (`sh -c`, timed by Python's monotonic clock there);
  recorded  the same command under the recorder (lanlab/wire/calls/record.py): its run time
            under strace in alice, timed the same way by the agent; and, beside it, the whole
            recording as the host waits for it (copying the agent in, strace, reading and
            parsing every call).
The cost per call is the extra run time over the syscalls strace stopped at (its own count).
Targets: hello.txt recorded within 2x plain; big.bin: the figure and the cost per call.
"""
from __future__ import annotations

import re
import statistics
import time

from bench import ROOT, Context, Result
from lanlab.control.errors import LabError
from lanlab.control.execute import exec_in
from lanlab.control.lab import Lab
from lanlab.wire.calls import record

BUDGET = 1500
REPEATS = {"hello.txt": 3, "big.bin": 1}   # the big one under strace takes minutes on a busy machine
LIMIT = 480      # seconds a recorded run may take; past it, the part read gives the figures
BIG = 100 * 1024 * 1024
FOLDER = "/tmp/bench-calls"
TIMER = ("import subprocess, sys, time; t = time.monotonic(); "
         "code = subprocess.run(['sh', '-c', sys.argv[1]]).returncode; "
         "print(time.monotonic() - t); sys.exit(code)")


class BenchError(RuntimeError):
    """A step that could not be measured."""


def files_address(lab: Lab) -> str:
    out = exec_in(lab.container("files"), "ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -1").out
    return out.strip()


def install_client(lab: Lab) -> None:
    text = (ROOT / "tests" / "course" / "download_client.py").read_text()
    text = re.sub(r'^SERVER_IP = ".*"$', f'SERVER_IP = "{files_address(lab)}"', text, count=1, flags=re.M)
    alice = lab.container("alice")
    script = text.replace("'", "'\"'\"'")
    done = exec_in(alice, f"rm -rf {FOLDER} && mkdir -p {FOLDER} && cd {FOLDER} && "
                          f"printf '%s' '{script}' > download_client.py && ln -s /dev/null big.bin")
    if not done.ok:
        raise BenchError(f"cannot put the course's client into alice: {done.err}")


def command(name: str) -> str:
    return f"cd {FOLDER} && echo {name} | python3 download_client.py > /dev/null"


def plain(lab: Lab, name: str) -> float:
    result = exec_in(lab.container("alice"), ["python3", "-c", TIMER, command(name)], timeout=300)
    if not result.ok:
        raise BenchError(f"the plain client failed for {name}: {result.err.strip()[-200:]}")
    return float(result.out.split()[-1])


def recorded(lab: Lab, name: str) -> dict:
    """One run under the recorder; one stopped at LIMIT counts what it had read by then."""
    began = time.monotonic()
    got = record.record_in_lab(lab, "alice", command(name), timeout=LIMIT)
    whole = time.monotonic() - began
    if got.status != 0 and not got.timed_out:
        raise BenchError(f"the recorded client failed for {name}: {got.stderr.strip()[-200:]}")
    stopped = sum(calls for calls, _ in got.counts.values()) or sum(got.parsed.values())
    read = sum(c["result"] for c in got.calls if c["name"] == "recv" and isinstance(c["result"], int))
    return {"seconds": got.seconds, "whole": whole, "stopped": stopped, "calls": len(got.calls),
            "timed_out": got.timed_out, "read": read}


def measure(ctx: Context, lab: Lab, repeats: dict[str, int]) -> dict:
    install_client(lab)
    figures = {}
    try:
        for name, times in repeats.items():
            runs = {"plain": [], "recorded": []}
            for turn in range(times):
                ctx.say(f"{name}: round {turn + 1} of {times}")
                runs["plain"].append(plain(lab, name))
                runs["recorded"].append(recorded(lab, name))
            figures[name] = summarize(runs, BIG if name == "big.bin" else None)
    finally:
        exec_in(lab.container("alice"), ["rm", "-rf", FOLDER])
    return figures


def summarize(runs: dict, size: int | None = None) -> dict:
    """Medians; a recorded run that read only part of the `size` bytes (stopped at the limit,
    or dropped by the server as stalled) is scaled up to the whole file by the share it
    read, and the plain run down to that share."""
    plain_s = statistics.median(runs["plain"])
    rec = runs["recorded"]
    seconds = statistics.median(r["seconds"] for r in rec)
    stopped = statistics.median(r["stopped"] for r in rec)
    share = 1.0
    if size:   # stopped at the limit, or cut short by the server (it drops a stalled client)
        share = min(1.0, max(statistics.median(r["read"] for r in rec), 1) / size)
    return {"plain": plain_s, "recorded": seconds / share, "partial": share < 1, "share": share,
            "whole": statistics.median(r["whole"] for r in rec), "stopped": stopped,
            "calls": statistics.median(r["calls"] for r in rec),
            "per_call_us": (seconds - plain_s * share) / stopped * 1e6 if stopped else None,
            "plain_runs": runs["plain"], "recorded_runs": [r["seconds"] for r in rec]}


def results(figures: dict, repeats: dict[str, int]) -> list[Result]:
    small, big = figures["hello.txt"], figures["big.bin"]
    steps = ("make trace NODE=alice CMD='cd /tmp/bench-calls && echo big.bin | python3 download_client.py' CALLS=1",)
    return [
        Result(name=f"course download client, hello.txt, run time with CALLS=1 (median of {repeats['hello.txt']})",
               ours=round(small["recorded"], 3), peer_name="the same client without CALLS",
               peer=round(small["plain"], 3), unit="s", higher_is_better=False,
               target="<= 2x without", met=small["recorded"] <= 2 * small["plain"],
               notes=f"{small['calls']:.0f} call rows, {small['stopped']:.0f} syscalls stopped at; "
                     f"the whole recording as the host waits for it: {small['whole']:.2f} s",
               commands=steps),
        Result(name=f"course download client, big.bin 100 MiB, run time with CALLS=1 ({repeats['big.bin']} run"
                    + (f"; it read {big['share']:.0%} of the file before it was stopped or dropped, "
                       "the figure scaled to the whole file)" if big["partial"] else ")"),
               ours=round(big["recorded"], 2), peer_name="the same client without CALLS",
               peer=round(big["plain"], 2), unit="s", higher_is_better=False,
               target="say the figure and the cost per call", met=None,
               notes=f"{big['calls']:.0f} call rows, {big['stopped']:.0f} syscalls stopped at, "
                     f"{big['per_call_us']:.0f} us each; the whole recording as the host waits "
                     f"for it (with reading and parsing every call): {big['whole']:.1f} s",
               commands=steps),
    ]


def run(ctx: Context) -> list[Result]:
    lab = Lab.from_env()
    started = False
    try:
        if not lab.containers(all=False):
            ctx.say("starting the lab (it is removed afterwards)")
            lab.up()
            started = True
        figures = measure(ctx, lab, REPEATS)
    except LabError as error:
        raise BenchError(str(error)) from None
    finally:
        if started:
            lab.down()
    for name, f in figures.items():
        ctx.note(f"{name}: without {', '.join(f'{s:.3f}' for s in f['plain_runs'])} s; "
                 f"with CALLS=1 {', '.join(f'{s:.3f}' for s in f['recorded_runs'])} s")
    return results(figures, REPEATS)
