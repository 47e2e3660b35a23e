"""Benchmark: `make grade` of a class, 30 students x the five contract lessons.

    make bench ONLY=grade

A class of 30 workspaces made from lessons/solutions/: 24 correct, and 6 each with one
bug of tests/lessons/broken/ (the one-recv download, the lockless ticket office, a
receiver that prints no address, a server that serves one client, a chat that `exit`
does not end, a sender that floods and never ends), so that the time limits and the
cleanup are paid too. Graded one student at a time in the running lab (started and
removed again if it was not up), as `make grade DIR=... LESSONS=udp,tcp,download,chat,locks`
does. Target: the whole class within 10 minutes on this machine.
LANLAB_BENCH_GRADE_STUDENTS makes the class smaller, for a quick look: it keeps the six
buggy students (a class of six or fewer is all bugs); the report names the size it ran,
and its target is the same time per student (20 s). Nearly every step of a check is a
`docker exec`, so the note gives what one cost at the start: on a busy machine that, not
the checks, sets the figure.
"""
from __future__ import annotations

import contextlib
import io
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench import ROOT, Context, Result
from lanlab.control.lab import Lab
from lanlab.lessons import grade

BUDGET = 1500
STUDENTS = int(os.environ.get("LANLAB_BENCH_GRADE_STUDENTS") or 30)
CLASS, TARGET = 30, 600.0      # the target: a class of 30 within 10 minutes
BROKEN = ("one-recv", "lockless", "no-address", "one-client", "no-daemon", "runaway")


def make_class(folder: Path) -> None:
    solutions, broken = ROOT / "lessons" / "solutions", ROOT / "tests" / "lessons" / "broken"
    for number in range(STUDENTS):
        student = folder / f"student{number + 1:02d}"
        shutil.copytree(solutions, student)
        bug = number - (STUDENTS - min(len(BROKEN), STUDENTS))
        if bug >= 0:
            shutil.copytree(broken / BROKEN[bug], student, dirs_exist_ok=True)


def exec_cost(lab: Lab) -> float:
    container, times = lab.container("alice"), []
    for _ in range(5):
        began = time.monotonic()
        container.exec_run(["true"])
        times.append(time.monotonic() - began)
    return statistics.median(times)


def run(ctx: Context) -> list[Result]:
    lab = Lab.from_env()
    started_here = not lab.is_up()
    if started_here:
        ctx.say("starting the lab")
        lab.up()
    ctx.note(f"one `docker exec true` in alice at the start: {exec_cost(lab):.2f} s (median of 5)")
    try:
        with tempfile.TemporaryDirectory(prefix="lanlab-grade-") as tmp:
            make_class(Path(tmp))
            ctx.say(f"grading {STUDENTS} students x {len(grade.DEFAULT)} lessons")
            began = time.monotonic()
            with contextlib.redirect_stdout(io.StringIO()):
                grade.main(lab, [tmp, ",".join(grade.DEFAULT)])
            took = time.monotonic() - began
            rows = (Path(tmp) / "results.csv").read_text().splitlines()[1:]
    finally:
        if started_here:
            lab.down()
    ctx.note(f"{len(rows)} checks; load average at the end: {Path('/proc/loadavg').read_text().split()[0]}")
    target = TARGET * STUDENTS / CLASS
    return [Result(name=f"make grade: {STUDENTS} students x {len(grade.DEFAULT)} lessons "
                        f"({', '.join(grade.DEFAULT)}), {min(len(BROKEN), STUDENTS)} of them with a bug",
                   ours=round(took, 1), peer_name="the target", peer=target, unit="s",
                   higher_is_better=False, target=f"<= {target:.0f} s", met=took <= target,
                   notes=f"{took / STUDENTS:.1f} s per student",
                   commands=(f"make grade DIR=<{STUDENTS} workspaces> LESSONS={','.join(grade.DEFAULT)}",))]
