"""`make grade DIR=submissions [LESSONS=udp,tcp,...]`: every subfolder of DIR is one
student's workspace; check each, one student at a time, in the running lab.

Writes DIR/results.csv (student, lesson, check, passed, detail: one row per check, the
form kathara-lab-checker gives a teacher's spreadsheet) and DIR/summary.md, and prints
the summary (student, passed, total, and each lesson's share) on the terminal.

One student cannot change another's result: each lesson starts from a fresh copy of that
student's files in every node, runs their programs as `learner` without capabilities and
under time limits, and ends by killing every process of `learner` and removing the copy
(lanlab/lessons/runner.py). A lesson whose checks could not run at all (the lab broke)
is one row with check `-` and the reason. Files are written whole or not at all.
"""
from __future__ import annotations

import csv
import io
import os
import sys
import time
from pathlib import Path

import docker.errors

from lanlab.control.errors import LabError, say
from lanlab.control.lab import Lab
from lanlab.control.status import format_table
from lanlab.lessons import available
from lanlab.lessons.check import run_lesson
from lanlab.lessons.messages import Messages

DEFAULT = ("udp", "tcp", "download", "chat", "locks")
HEADER = ("student", "lesson", "check", "passed", "detail")


def students(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def lessons_of(text: str | None) -> tuple[str, ...]:
    chosen = tuple(name.strip() for name in (text or ",".join(DEFAULT)).split(",") if name.strip())
    unknown = [name for name in chosen if name not in available()]
    if unknown:
        raise LabError(f"no lesson {unknown[0]!r}; the lessons are: {', '.join(available())}")
    return chosen


def grade_student(lab: Lab, student: Path, lessons: tuple[str, ...], messages: Messages) -> list[tuple]:
    rows = []
    for lesson in lessons:
        try:
            results, _ = run_lesson(lab, lesson, student, messages)
        except (LabError, OSError, docker.errors.DockerException) as error:
            rows.append((student.name, lesson, "-", False, f"the checks could not run: {error}"))
            continue
        for r in results:
            detail = r.seen if r.passed else f"{r.seen} | {messages.text('label.hint')}: {r.hint}"
            rows.append((student.name, lesson, r.check, r.passed, detail))
    return rows


def summary(rows: list[tuple], lessons: tuple[str, ...]) -> list[tuple]:
    table = []
    for student in dict.fromkeys(row[0] for row in rows):
        mine = [row for row in rows if row[0] == student]
        shares = [f"{sum(r[3] for r in mine if r[1] == l)}/{sum(1 for r in mine if r[1] == l)}" for l in lessons]
        table.append((student, sum(r[3] for r in mine), len(mine), *shares))
    return table


def write_whole(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def csv_text(rows: list[tuple]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows((s, l, c, "yes" if p else "no", d) for s, l, c, p, d in rows)
    return out.getvalue()


def markdown(table: list[tuple], lessons: tuple[str, ...]) -> str:
    header = ("student", "passed", "total", *lessons)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in table]
    return "# Grades\n\n" + "\n".join(lines) + "\n"


def main(lab: Lab, args: list[str]) -> None:
    """args: DIR [LESSONS]."""
    if not args:
        raise LabError("give the folder of submissions: `make grade DIR=submissions`")
    folder = Path(args[0]).resolve()
    if not folder.is_dir():
        raise LabError(f"no folder {folder}; give DIR=<a folder with one subfolder per student>")
    lessons, everyone = lessons_of(args[1] if len(args) > 1 else None), students(folder)
    if not everyone:
        raise LabError(f"{folder} has no student subfolders; put each workspace in DIR/<student>/")
    messages, rows, started = Messages(), [], time.monotonic()
    for number, student in enumerate(everyone, 1):
        mine = grade_student(lab, student, lessons, messages)
        rows += mine
        say(f"{number}/{len(everyone)} {student.name}: {sum(r[3] for r in mine)}/{len(mine)} checks passed "
            f"({time.monotonic() - started:.0f} s)")
    table = summary(rows, lessons)
    write_whole(folder / "results.csv", csv_text(rows))
    write_whole(folder / "summary.md", markdown(table, lessons))
    print(format_table(table, header=("student", "passed", "total", *lessons)))
    say(f"{len(everyone)} students x {len(lessons)} lessons in {time.monotonic() - started:.0f} s: "
        f"{folder / 'results.csv'}, {folder / 'summary.md'}")
    sys.stdout.flush()
