"""The `locks` lesson: `locks/tickets.py PORT COUNT` sells COUNT tickets, one thread per
TCP client: a client sends `BUY` and gets `OK <n>` (n from 1 to COUNT, each once) or
`SOLD OUT`.

300 buyers at once, 100 from each of alice, bob and carol (threads of a Python client of
ours, each waiting at a barrier and then connecting), against 100 tickets on files: every
buyer answered, exactly 100 OK, each number once. Without a lock around "look at the
counter, then change it", two threads see the same counter and a ticket is sold twice.
"""
from __future__ import annotations

import re
import shlex
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from lanlab.lessons.runner import Session, excerpt, free_port

TICKETS = "locks/tickets.py"
COUNT, BUYERS, FROM = 100, 100, ("alice", "bob", "carol")
LIMIT = 60
# Ours: BUYERS threads wait at a barrier, then each buys once; one reply per line.
BUY = ("import socket, sys, threading\n"
       "host, port, buyers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])\n"
       "barrier, replies = threading.Barrier(buyers), []\n"
       "def buy():\n"
       "    barrier.wait()\n"
       "    got = b''\n"
       "    try:\n"
       "        with socket.create_connection((host, port), timeout=15) as s:\n"
       "            s.sendall(b'BUY')\n"
       "            while b'\\n' not in got and (data := s.recv(100)):\n"
       "                got += data\n"
       "    except OSError as error:\n"
       "        got = f'{type(error).__name__}'.encode()\n"
       "    replies.append(got.decode(errors='replace').strip().replace('\\n', ' ') or '(nothing)')\n"
       "threads = [threading.Thread(target=buy) for _ in range(buyers)]\n"
       "for t in threads: t.start()\n"
       "for t in threads: t.join()\n"
       "print('\\n'.join(replies))\n")
OK = re.compile(r"^OK (\d+)$")


def checks(s: Session):
    names = ("tickets-listens", "every-buyer-answered", "exactly-count-sold", "each-number-once")
    if missing := s.absent(TICKETS, names, count=COUNT):
        yield from missing
        return
    port = free_port()
    proc = s["files"].start(["python3", s.program(TICKETS), str(port), str(COUNT)], LIMIT, ready=(port, "tcp"))
    listens = proc.ready
    yield s.result("tickets-listens", listens, s.messages.text("seen.listening", port=port)
                   if listens else proc.describe(s.messages), port=port)
    replies = buy_at_once(s, port) if listens else []
    yield from verdicts(s, replies)


def buy_at_once(s: Session, port: int) -> list[str]:
    command = f"python3 -c {shlex.quote(BUY)} files {port} {BUYERS}"
    with ThreadPoolExecutor(max_workers=len(FROM)) as pool:
        outs = list(pool.map(lambda name: s[name].sh(command, timeout=LIMIT).out, FROM))
    return [line for out in outs for line in out.splitlines() if line.strip()]


def verdicts(s: Session, replies: list[str]):
    total = BUYERS * len(FROM)
    numbers = [int(m.group(1)) for m in map(OK.match, replies) if m]
    other = [r for r in replies if not OK.match(r) and r != "SOLD OUT"]
    answered = len(replies) == total and not other
    seen = s.messages.text("seen.answers", ok=len(numbers), sold_out=replies.count("SOLD OUT"),
                           other=len(other) + total - len(replies))
    if other:
        seen += f" ({excerpt(Counter(other).most_common(1)[0][0], 60)})"
    yield s.result("every-buyer-answered", answered, seen, total=total)
    yield s.result("exactly-count-sold", len(numbers) == COUNT,
                   s.messages.text("seen.sold", ok=len(numbers), count=COUNT), count=COUNT)
    twice = sorted(n for n, k in Counter(numbers).items() if k > 1)
    outside = sorted(n for n in set(numbers) if not 1 <= n <= COUNT)
    once = not twice and not outside and len(numbers) == COUNT
    seen = s.messages.text("seen.numbers", twice=", ".join(map(str, twice[:8])) or "-",
                           outside=", ".join(map(str, outside[:8])) or "-", distinct=len(set(numbers)))
    yield s.result("each-number-once", once, seen, count=COUNT)
