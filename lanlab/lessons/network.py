"""The `network` lesson: predict, then look. `network/answers.txt` holds four answers,
one `question: answer` per line, about alice in the default lab:

    bob-first-hop: direct or router      (where alice's packets to bob go first)
    carol-first-hop: direct or router
    arp-for-carol: carol or router       (whose MAC alice asks for to reach carol)
    broadcast-reaches-carol: yes or no   (does alice's subnet broadcast reach carol)

The check reads the truth from the lab as it runs (alice's `ip route get`), not from a
key: an answer is right when the network says so.
"""
from __future__ import annotations

from lanlab.lessons.local import field
from lanlab.lessons.runner import Session

ANSWERS = "network/answers.txt"
QUESTIONS = ("bob-first-hop", "carol-first-hop", "arp-for-carol", "broadcast-reaches-carol")


def next_hop(s: Session, target: str) -> str:
    """'router' if alice sends to `target` through a gateway, else 'direct'."""
    out = s["alice"].sh(f"ip route get {s[target].address}").out
    return "router" if " via " in out else "direct"


def truth(s: Session) -> dict[str, str]:
    bob, carol = next_hop(s, "bob"), next_hop(s, "carol")
    return {"bob-first-hop": bob, "carol-first-hop": carol,
            "arp-for-carol": "router" if carol == "router" else "carol",
            "broadcast-reaches-carol": "no" if carol == "router" else "yes"}


def checks(s: Session):
    if missing := s.absent(ANSWERS, QUESTIONS):
        yield from missing
        return
    text = (s.workspace / ANSWERS).read_text(errors="replace")
    want = truth(s)
    for name in QUESTIONS:
        given = field(text, name)
        seen = s.messages.text("seen.answer", answer=given or "?")
        yield s.result(name, given == want[name], seen)
