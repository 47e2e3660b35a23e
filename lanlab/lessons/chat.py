"""The `chat` lesson: `chat/chat.py PORT PEER PEER_PORT` has two threads: lines typed are
sent to PEER:PEER_PORT in one datagram each, datagrams received on PORT are printed; a
line `exit` ends the program.

Two instances talk, on alice and bob (their standard input is a pipe the check types
into); a third party, netcat on carol across the router, is heard too; `exit` must end
both within a few seconds (a receiving thread left running keeps a program alive).
"""
from __future__ import annotations

from lanlab.lessons.runner import Session, excerpt, free_port, token

CHAT = "chat/chat.py"
LIMIT = 60
EXIT_WITHIN = 5


def checks(s: Session):
    names = ("chat-starts", "alice-to-bob", "bob-to-alice", "hears-anyone", "exit-ends")
    if missing := s.absent(CHAT, names):
        yield from missing
        return
    a_port, b_port = free_port(), free_port()
    while b_port == a_port:
        b_port = free_port()
    alice = s["alice"].start(["python3", s.program(CHAT), str(a_port), "bob", str(b_port)], LIMIT,
                             stdin=True, ready=(a_port, "udp"))
    bob = s["bob"].start(["python3", s.program(CHAT), str(b_port), "alice", str(a_port)], LIMIT,
                         stdin=True, ready=(b_port, "udp"))
    ready = alice.ready and bob.ready
    seen = s.messages.text("seen.bound", ports=f"{a_port}, {b_port}") if ready else \
        f"alice: {alice.describe(s.messages)}; bob: {bob.describe(s.messages)}"
    yield s.result("chat-starts", ready, seen, first=a_port, second=b_port)
    for check, source, target in (("alice-to-bob", alice, bob), ("bob-to-alice", bob, alice)):
        text = token(check)
        source.type(text)
        out = target.wait_for(text)
        yield s.result(check, text in out, excerpt(out) or s.messages.text("seen.nothing"), text=text)
    text = token("from-carol")
    s["carol"].sh(f"printf %s {text} | nc -u -q0 alice {a_port}")
    out = alice.wait_for(text)
    yield s.result("hears-anyone", text in out, excerpt(out) or s.messages.text("seen.nothing"), text=text)
    yield exit_ends(s, alice, bob)


def exit_ends(s: Session, alice, bob):
    for proc in (alice, bob):
        proc.type("exit")
    codes = [alice.wait(EXIT_WITHIN), bob.wait(EXIT_WITHIN)]
    states = []
    for name, proc, rc in (("alice", alice, codes[0]), ("bob", bob, codes[1])):
        state = s.messages.text("seen.after-exit", seconds=EXIT_WITHIN) if rc is None else proc.describe(s.messages)
        states.append(f"{name}: {state}")
    return s.result("exit-ends", codes == [0, 0], "; ".join(states), seconds=EXIT_WITHIN)
