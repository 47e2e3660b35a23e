"""The `ports` lesson: `ports/bind.py PORT` tries to listen on TCP PORT on every address
and prints `bound PORT` or `refused PORT: <the reason>`; either way it ends with exit
status 0 (a refusal is an answer, not a crash).

Run as the learner on files: 8080 is free; 80 is below 1024, where only root may listen
(the lab restores that rule: net.ipv4.ip_unprivileged_port_start=1024); 9090 is the lab's
own file server's.
"""
from __future__ import annotations

from lanlab.lessons.local import run_all
from lanlab.lessons.runner import Session, excerpt

PROGRAM = "ports/bind.py"
CASES = {"free-port": ("8080", "bound"), "low-port": ("80", "refused"), "busy-port": ("9090", "refused")}
REASONS = {"low-port": ("permission", "denied", "errno 13"), "busy-port": ("in use", "errno 98")}


def checks(s: Session):
    if missing := s.absent(PROGRAM, CASES):
        yield from missing
        return
    outputs = run_all(s, "files", PROGRAM, [[port] for port, _ in CASES.values()])
    for name, (port, verdict) in CASES.items():
        rc, out = outputs[(port,)]
        said = out.lower()
        passed = rc == 0 and f"{verdict} {port}" in said and \
            (name not in REASONS or any(reason in said for reason in REASONS[name]))
        seen = excerpt(out) or s.messages.text("seen.nothing")
        if rc not in (0, None):
            seen += f" (exit {rc})"
        yield s.result(name, passed, seen, port=port)
