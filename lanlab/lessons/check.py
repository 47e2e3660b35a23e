"""`make check LESSON=id [WORK=dir]`: run one lesson's checks on a learner's workspace in
the running lab and print one line per check (expected, seen, and a hint when it failed).
Exit status 0 only if every check passed.
"""
from __future__ import annotations

import sys
from pathlib import Path

from lanlab.control.errors import LabError
from lanlab.control.generate import WORK_DIR
from lanlab.control.lab import Lab
from lanlab.lessons import available, module
from lanlab.lessons.messages import Messages
from lanlab.lessons.runner import Result, Session


def run_lesson(lab: Lab, lesson: str, workspace: Path, messages: Messages,
               show=lambda result: None) -> tuple[list[Result], dict]:
    """Every check of `lesson` (each given to `show` as it is made); and what of the
    learner's was still running afterwards, killed, by node."""
    session = Session(lab, workspace, messages, lesson)
    results = []
    try:
        for result in module(lesson).checks(session):
            results.append(result)
            show(result)
    finally:
        left = session.close()
    return results, left


def format_line(result: Result, messages: Messages) -> str:
    mark = messages.text("label.pass" if result.passed else "label.fail")
    line = (f"{mark:4} {result.lesson}/{result.check}  {messages.text('label.expected')}: {result.expected}"
            f"  | {messages.text('label.seen')}: {result.seen}")
    if not result.passed and result.hint:
        line += f"  | {messages.text('label.hint')}: {result.hint}"
    return line


def workspace_of(path: str | None, messages: Messages) -> Path:
    folder = Path(path).resolve() if path else WORK_DIR
    if not folder.is_dir():
        raise LabError(messages.text("no-workspace", path=folder))
    return folder


def lesson_of(name: str | None, messages: Messages) -> str:
    lessons = available()
    if name not in lessons:
        raise LabError(messages.text("no-lesson", lesson=name or "", lessons=", ".join(lessons)))
    return name


def main(lab: Lab, args: list[str]) -> int:
    """args: LESSON [WORK]."""
    messages = Messages()
    lesson = lesson_of(args[0] if args else None, messages)
    workspace = workspace_of(args[1] if len(args) > 1 else None, messages)
    results, left = run_lesson(lab, lesson, workspace, messages,
                               lambda result: print(format_line(result, messages), flush=True))
    for node, processes in left.items():
        print(messages.text("left-running", node=node, processes=processes), file=sys.stderr)
    passed = sum(r.passed for r in results)
    print(messages.text("summary", passed=passed, total=len(results)))
    return 0 if results and passed == len(results) else 1
