"""The course's lessons, checked in the lab: a learner's own programs, run from their
workspace (work/, at /work in every node) as the ordinary user `learner`.

    runner.py    the hosts, a program's start, its limits, the cleanup; a check's Result
    messages.py  what the checks say, in English and Chinese
    check.py     `make check LESSON=id [WORK=dir]`: one lesson, one line per check
    grade.py     `make grade DIR=submissions`: a class, one student at a time
    <lesson>.py  one module per lesson: checks(session) yields its Results

The lessons' pages are docs/lessons/en and docs/lessons/zh; our own programs for every
contract are lessons/solutions/<lesson>/.
"""
from __future__ import annotations

import importlib

# In the course's order; each is a module of this package (dashes become underscores).
LESSONS = ("network", "mask", "dhcp-dns-gateway", "ports", "udp", "tcp", "download",
           "chat", "locks", "queues", "processes")


def module(lesson: str):
    return importlib.import_module(f"lanlab.lessons.{lesson.replace('-', '_')}")


def available() -> tuple[str, ...]:
    """The lessons whose checks exist, in the course's order."""
    found = []
    for lesson in LESSONS:
        try:
            module(lesson)
        except ModuleNotFoundError:
            continue
        found.append(lesson)
    return tuple(found)
