"""Lessons whose programs need no peer: run one command in a node as the learner and
read its output (mask, ports, queues, processes)."""
from __future__ import annotations

import shlex

from lanlab.lessons.runner import Session

LIMIT = 30


def run_all(s: Session, where: str, program: str, cases: list[list[str]], limit: float = LIMIT) -> dict:
    """Run `program` once per case (as the learner, one after the other, in one start);
    {tuple(case): (exit status, output)}. Each run is marked so outputs never mix."""
    lines = []
    for number, case in enumerate(cases):
        lines.append(f"echo '<<<{number}'; python3 {shlex.quote(s.program(program))} {shlex.join(case)} 2>&1; "
                     f"echo \">>>{number} $?\"")
    proc = s[where].start(["bash", "-c", "\n".join(lines)], limit, wait=limit)
    return split(proc.seen, cases)


def split(output: str, cases: list[list[str]]) -> dict:
    found, current, text = {}, None, []
    for line in output.splitlines():
        if line.startswith("<<<"):
            current, text = int(line[3:]), []
        elif line.startswith(">>>") and current is not None:
            found[tuple(cases[current])] = (int(line.split()[-1]), "\n".join(text))
            current = None
        elif current is not None:
            text.append(line)
    return {tuple(case): found.get(tuple(case), (None, "\n".join(text) if current is not None else ""))
            for case in cases}


def field(output: str, name: str) -> str:
    """The value of a `name: value` line (first one), lowercased and stripped."""
    for line in output.splitlines():
        key, colon, value = line.partition(":")
        if colon and key.strip().lower() == name:
            return value.strip().lower()
    return ""
