"""The `queues` lesson: `queues/bakery.py PRODUCERS CONSUMERS ITEMS`: PRODUCERS threads
each make ITEMS items named `p<i>-<n>` (i from 1, n from 0) and put them on one
queue.Queue; CONSUMERS threads take them off and print one line per item holding its name.
When every item is eaten the program ends by itself (a consumer blocked in get() forever
keeps it alive: tell the consumers there is no more, one marker each).
"""
from __future__ import annotations

import re

from lanlab.lessons.local import run_all
from lanlab.lessons.runner import Session, excerpt

PROGRAM = "queues/bakery.py"
PRODUCERS, CONSUMERS, ITEMS = 3, 4, 20
LIMIT = 30
ITEM = re.compile(r"p(\d+)-(\d+)")


def checks(s: Session):
    if missing := s.absent(PROGRAM, ("ends", "every-item-once")):
        yield from missing
        return
    case = [str(PRODUCERS), str(CONSUMERS), str(ITEMS)]
    rc, out = run_all(s, "alice", PROGRAM, [case], LIMIT)[tuple(case)]
    yield s.result("ends", rc == 0, s.messages.text("seen.exit", rc=rc) if rc is not None
                   else s.messages.text("seen.stopped", seconds=LIMIT), seconds=LIMIT)
    # Not line by line: the checks run Python unbuffered, where a print's text and its
    # newline are two writes, so two threads' lines can share one.
    items = [m.group(0) for m in ITEM.finditer(out)]
    want = {f"p{i}-{n}" for i in range(1, PRODUCERS + 1) for n in range(ITEMS)}
    twice = sorted({i for i in items if items.count(i) > 1})
    missing = sorted(want - set(items))
    seen = s.messages.text("seen.items", count=len(items), missing=len(missing), twice=", ".join(twice[:5]) or "-")
    yield s.result("every-item-once", not twice and not missing and set(items) == want,
                   seen + (f" ({excerpt(out, 60)})" if not items else ""), total=len(want))
