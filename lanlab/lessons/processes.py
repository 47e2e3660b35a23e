"""The `processes` lesson: `processes/pool.py TASKS` runs TASKS tasks in a
multiprocessing.Pool of 3 processes; each task prints `task <i> pid <its process id>`
(i from 0); when all are finished (close, then join) the main process prints `done`.

Checked: every task once, the work spread over more than one process, `done` last
(join waited for the pool), and the program ends by itself.
"""
from __future__ import annotations

import re

from lanlab.lessons.local import run_all
from lanlab.lessons.runner import Session, excerpt

PROGRAM = "processes/pool.py"
TASKS = 12
LIMIT = 30
TASK = re.compile(r"task (\d+) pid (\d+)")


def checks(s: Session):
    names = ("ends", "every-task-once", "several-processes", "done-last")
    if missing := s.absent(PROGRAM, names):
        yield from missing
        return
    rc, out = run_all(s, "bob", PROGRAM, [[str(TASKS)]], LIMIT)[(str(TASKS),)]
    yield s.result("ends", rc == 0, s.messages.text("seen.exit", rc=rc) if rc is not None
                   else s.messages.text("seen.stopped", seconds=LIMIT), seconds=LIMIT)
    tasks = [(int(m.group(1)), int(m.group(2))) for m in TASK.finditer(out)]
    numbers = sorted(n for n, _ in tasks)
    yield s.result("every-task-once", numbers == list(range(TASKS)),
                   excerpt(" ".join(map(str, numbers))) or excerpt(out) or s.messages.text("seen.nothing"),
                   total=TASKS)
    pids = {pid for _, pid in tasks}
    yield s.result("several-processes", len(pids) > 1, s.messages.text("seen.pids", count=len(pids)))
    lines = [line.strip() for line in out.splitlines() if line.strip()]
    yield s.result("done-last", bool(lines) and lines[-1] == "done",
                   excerpt(lines[-1]) if lines else s.messages.text("seen.nothing"))
