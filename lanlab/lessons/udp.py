"""The `udp` lesson: `udp/receiver.py PORT` prints one line per datagram with its text and
the sender's address; `udp/sender.py HOST PORT TEXT` sends TEXT in one datagram.

Checked across the router both ways, with the lab's own programs: the receiver runs on
carol at UDP 9090 (the lab's listener steps aside with `chat pause`) and hears `chat send`
from alice, then two datagrams from bob's Python; then on alice it hears nc from carol.
Only receiver-address asks for the sender's address; the others look for the text.
The sender sends from alice to carol by name and from carol to alice by address, and the
lab's listener (its log, lanlab.contracts.CHAT_LOG) must have it with the sender's address.
"""
from __future__ import annotations

import shlex

from lanlab.contracts import CHAT_LOG as LOG
from lanlab.contracts import CHAT_PORT as PORT
from lanlab.lessons.runner import WAIT, Session, excerpt, token, until

RECEIVER, SENDER = "udp/receiver.py", "udp/sender.py"
LIMIT = 60
DATAGRAMS = ("import socket, sys\n"
             "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
             "for text in sys.argv[3:]:\n"
             "    s.sendto(text.encode(), (sys.argv[1], int(sys.argv[2])))\n")


def line_with(text: str, output: str) -> str:
    return next((line for line in output.splitlines() if text in line), "")


def checks(s: Session):
    yield from receiver_checks(s)
    yield from sender_checks(s)


def start_receiver(s: Session, where: str):
    """The learner's receiver on UDP 9090 of `where`, the listener paused; None if it
    never bound the port (then the proc is returned for the reason)."""
    proc = s[where].start(["python3", s.program(RECEIVER), str(PORT)], LIMIT,
                          ready=(PORT, "udp"), before="chat pause 60 >/dev/null")
    return proc, proc.ready


def stop_receiver(proc) -> None:
    proc.stop(then="chat resume >/dev/null")


def receiver_checks(s: Session):
    names = ("receiver-text", "receiver-address", "receiver-each", "receiver-other-way")
    if missing := s.absent(RECEIVER, names):
        yield from missing
        return
    alice, bob, carol = s["alice"], s["bob"], s["carol"]
    proc, bound = start_receiver(s, "carol")
    try:
        if not bound:
            for name in names[:3]:
                yield s.result(name, False, proc.describe(s.messages), port=PORT, node="carol")
        else:
            yield from across_the_router(s, proc)
    finally:
        stop_receiver(proc)
    proc, bound = start_receiver(s, "alice")
    try:
        text = token("udp-nc")
        if bound:
            carol.sh(f"printf %s {text} | nc -u -q0 {alice.address} {PORT}")
        out = proc.wait_for(text) if bound else ""
        line = line_with(text, out)
        seen = excerpt(line or out) or proc.describe(s.messages)
        yield s.result("receiver-other-way", bool(line), seen, text=text)
    finally:
        stop_receiver(proc)


def across_the_router(s: Session, proc):
    alice, bob = s["alice"], s["bob"]
    text = token("udp-chat")
    alice.sh(f"chat send carol {text}")
    out = proc.wait_for(text)
    line = line_with(text, out)
    seen = excerpt(line or out) or s.messages.text("seen.nothing")
    yield s.result("receiver-text", bool(line), seen, text=text)
    yield s.result("receiver-address", alice.address in line, excerpt(line) or seen, address=alice.address)
    first, second = token("udp-one"), token("udp-two")
    bob.sh(f"python3 -c {shlex.quote(DATAGRAMS)} carol {PORT} {first} {second}")
    out = proc.wait_for(second)
    lines = [line_with(first, out), line_with(second, out)]
    each = all(lines) and lines[0] != lines[1]
    yield s.result("receiver-each", each, excerpt(" / ".join(lines)) or s.messages.text("seen.nothing"),
                   first=first, second=second)


def sender_checks(s: Session):
    if missing := s.absent(SENDER, ("sender-by-name", "sender-by-address")):
        yield from missing
        return
    alice, carol = s["alice"], s["carol"]
    for name, source, target, host in (("sender-by-name", alice, carol, "carol"),
                                       ("sender-by-address", carol, alice, alice.address)):
        text = token("udp-sender")
        proc = source.start(["python3", s.program(SENDER), host, str(PORT), text], LIMIT, wait=WAIT)
        line = heard(target, text)
        seen = excerpt(line) if line else \
            s.messages.text("seen.listener-nothing", node=target.name, program=proc_state(s, proc))
        yield s.result(name, bool(line) and source.address in line, seen,
                       text=text, node=target.name, host=host, address=source.address)


def heard(host, text: str, timeout: float = WAIT) -> str:
    """The lab listener's log line on `host` holding `text`, waited for in the node."""
    found = f"grep -qF -- {shlex.quote(text)} {LOG}"
    return host.sh(f"{until(timeout, found)}; grep -F -- {shlex.quote(text)} {LOG}", timeout=timeout + 10).out.strip()


def proc_state(s: Session, proc) -> str:
    """A sender ends at once: one still running after WAIT s is said so (close() ends it)."""
    if proc.status is None:
        return s.messages.text("seen.not-ended", seconds=WAIT)
    return proc.describe(s.messages)
