"""The `tcp` lesson: `tcp/server.py PORT` accepts clients one after the other, forever,
and sends back every message it receives; `tcp/client.py HOST PORT TEXT` connects,
sends TEXT and prints the reply.

The server runs on carol; clients come across the router from alice (Python) and bob
(netcat, a client no one here wrote), one after the other. The client runs on alice
against an echo server of ours on files.
"""
from __future__ import annotations

import shlex

from lanlab.lessons.runner import WAIT, Session, excerpt, free_port, token

SERVER, CLIENT = "tcp/server.py", "tcp/client.py"
LIMIT = 60
# One client of ours: send the text, read until that many bytes came back, the server
# closed, or 3 s passed; print what came back, or why nothing did.
ASK = ("import socket, sys\n"
       "host, port, text = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()\n"
       "try:\n"
       "    s = socket.create_connection((host, port), timeout=3)\n"
       "    s.sendall(text)\n"
       "    got = b''\n"
       "    while len(got) < len(text):\n"
       "        data = s.recv(65536)\n"
       "        if not data:\n"
       "            break\n"
       "        got += data\n"
       "    print(got.decode(errors='replace'))\n"
       "except OSError as error:\n"
       "    print(f'{type(error).__name__}: {error}')\n")
ECHO = ("import socket, threading\n"
        "def serve(c):\n"
        "    with c:\n"
        "        while (data := c.recv(65536)):\n"
        "            c.sendall(data)\n"
        "s = socket.create_server(('', PORT))\n"
        "while True:\n"
        "    threading.Thread(target=serve, args=(s.accept()[0],), daemon=True).start()\n")


def ask(host, target: str, port: int, text: str) -> str:
    return host.sh(f"python3 -c {shlex.quote(ASK)} {target} {port} {text}", timeout=15).out.strip()


def netcat(host, target: str, port: int, text: str) -> str:
    result = host.sh(f"printf %s {text} | nc -N -w 3 {target} {port}", timeout=15)
    return (result.out + result.err).strip()


def checks(s: Session):
    yield from server_checks(s)
    yield from client_checks(s)


def server_checks(s: Session):
    names = ("server-listens", "server-echoes", "server-next-client", "server-keeps-running")
    if missing := s.absent(SERVER, names):
        yield from missing
        return
    port = free_port()
    proc = s["carol"].start(["python3", s.program(SERVER), str(port)], LIMIT, ready=(port, "tcp"))
    listens = proc.ready
    yield s.result("server-listens", listens, s.messages.text("seen.listening", port=port)
                   if listens else proc.describe(s.messages), port=port, node="carol")
    first, second, third = token("tcp-alice"), token("tcp-bob"), token("tcp-again")
    got = ask(s["alice"], "carol", port, first)
    yield s.result("server-echoes", got == first, excerpt(got) or s.messages.text("seen.nothing"), text=first)
    replies = [netcat(s["bob"], "carol", port, second), ask(s["alice"], "carol", port, third)]
    yield s.result("server-next-client", replies == [second, third],
                   excerpt(" / ".join(replies)) or s.messages.text("seen.nothing"), first=second, second=third)
    running = proc.rc() is None
    yield s.result("server-keeps-running", running,
                   s.messages.text("seen.running") if running else proc.describe(s.messages))


def client_checks(s: Session):
    if missing := s.absent(CLIENT, ("client-prints-reply", "client-ends")):
        yield from missing
        return
    port = free_port()
    s["files"].start(["python3", "-c", ECHO.replace("PORT", str(port))], LIMIT, learner=False,
                     ready=(port, "tcp"))
    text = token("tcp-client")
    proc = s["alice"].start(["python3", s.program(CLIENT), "files", str(port), text], LIMIT, wait=WAIT)
    out = proc.seen
    yield s.result("client-prints-reply", text in out, excerpt(out) or proc.describe(s.messages), text=text)
    state = s.messages.text("seen.not-ended", seconds=WAIT) if proc.status is None else proc.describe(s.messages)
    yield s.result("client-ends", proc.status == 0, state)
