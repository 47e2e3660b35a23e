"""The `download` lesson, in the course's bare form (send the name, read until the server
closes): `download/client.py HOST PORT NAME OUT` writes NAME into OUT;
`download/server.py PORT DIR` serves the files of DIR and nothing outside it.

The client runs on alice against the lab's file server (files, TCP 9090, which also
speaks the bare form: lanlab/files/program.py) for hello.txt and the 100 MiB big.bin,
compared byte for byte (size and SHA-256). The server runs on carol serving /srv/files;
netcat (hello.txt) and a Python client of ours (big.bin) fetch across the router, and
`../../etc/passwd` and `/etc/passwd` must not come back.
"""
from __future__ import annotations

import shlex

from lanlab.contracts import FILES_PORT as PORT
from lanlab.lessons.runner import SCRATCH, Session, free_port

CLIENT, SERVER = "download/client.py", "download/server.py"
FILES = "/srv/files"
SMALL, BIG = "hello.txt", "big.bin"
LIMIT = 120
SECRET = "/etc/passwd"
# Ours: ask for a name, read until the close; print "<bytes> <sha256>" or the error.
GET = ("import hashlib, socket, sys\n"
       "digest, size = hashlib.sha256(), 0\n"
       "try:\n"
       "    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)\n"
       "    s.sendall(sys.argv[3].encode())\n"
       "    while (data := s.recv(1 << 20)):\n"
       "        digest.update(data)\n"
       "        size += len(data)\n"
       "        if sys.argv[4:] and sys.argv[4].encode() in data:\n"
       "            print('LEAK', size)\n"
       "    print(size, digest.hexdigest())\n"
       "except OSError as error:\n"
       "    print(size, f'{type(error).__name__}: {error}')\n")


def checks(s: Session):
    yield from client_checks(s)
    yield from server_checks(s)


def originals(s: Session) -> dict[str, tuple[int, str]]:
    """name -> (size, sha256) of the lab's files, read in alice (the same image as files)."""
    out = s["alice"].sh(f"cd {FILES} && stat -c %s {SMALL} {BIG} && sha256sum {SMALL} {BIG}").out.split()
    return {SMALL: (int(out[0]), out[2]), BIG: (int(out[1]), out[4])}


def compare(s: Session, got: tuple[int, str] | None, want: tuple[int, str]) -> tuple[bool, str]:
    """got: (bytes, their SHA-256, or the client's error instead)."""
    if got is None:
        return False, s.messages.text("seen.no-out")
    size, digest = got
    if size != want[0]:
        error = f" ({digest[:80]})" if digest and len(digest) != 64 else ""
        return False, s.messages.text("seen.bytes", got=size, total=want[0]) + error
    if digest != want[1]:
        return False, s.messages.text("seen.other-bytes", total=size)
    return True, s.messages.text("seen.same-bytes", total=size)


def client_checks(s: Session):
    names = {SMALL: "client-small", BIG: "client-big"}
    if missing := s.absent(CLIENT, names.values()):
        yield from missing
        return
    want, alice = originals(s), s["alice"]
    for name, check in names.items():
        out = f"{SCRATCH}/{name}"
        proc = alice.start(["python3", s.program(CLIENT), "files", str(PORT), name, out], LIMIT, wait=LIMIT)
        rc = proc.status
        if rc is None:
            proc.stop()
        found = alice.sh(f"[ -f {out} ] && stat -c %s {out} && sha256sum < {out}; rm -f {out}", timeout=60).out.split()
        passed, seen = compare(s, (int(found[0]), found[1]) if len(found) >= 2 else None, want[name])
        if rc != 0:
            seen += "; " + proc.describe(s.messages, stopped=rc is None)
        yield s.result(check, passed and rc == 0, seen, name=name, total=want[name][0])


def server_checks(s: Session):
    names = ("server-small", "server-big", "server-refuses-outside")
    if missing := s.absent(SERVER, names):
        yield from missing
        return
    want, port = originals(s), free_port()
    proc = s["carol"].start(["python3", s.program(SERVER), str(port), FILES], LIMIT, ready=(port, "tcp"))
    if not proc.ready:
        for name in names:
            yield s.result(name, False, proc.describe(s.messages), port=port, total=want[BIG][0], name=SMALL)
        return
    small = s["alice"].sh(f"printf %s {SMALL} | nc -N -w 5 carol {port} | {{ wc -c; }} ; "
                          f"printf %s {SMALL} | nc -N -w 5 carol {port} | sha256sum", timeout=30).out.split()
    passed, seen = compare(s, (int(small[0]), small[1]) if len(small) >= 2 else None, want[SMALL])
    yield s.result("server-small", passed, seen, name=SMALL, port=port)
    passed, seen = compare(s, fetch(s["bob"], port, BIG), want[BIG])
    yield s.result("server-big", passed, seen, name=BIG, total=want[BIG][0], port=port)
    yield refuses_outside(s, port)


def fetch(host, port: int, name: str, marker: str = "") -> tuple[int, str] | None:
    out = host.sh(f"python3 -c {shlex.quote(GET)} carol {port} {shlex.quote(name)} {marker}",
                  timeout=LIMIT).out.strip().splitlines()
    size, _, digest = (out[-1] if out else "").partition(" ")
    return (int(size), digest) if size.isdigit() else None


def refuses_outside(s: Session, port: int):
    """../../etc/passwd from /srv/files is /etc/passwd; so is a name that starts with /."""
    leaked = []
    for name in (f"../..{SECRET}", SECRET):
        out = s["alice"].sh(f"python3 -c {shlex.quote(GET)} carol {port} {shlex.quote(name)} root:x:0:0",
                            timeout=30).out
        if "LEAK" in out:
            leaked.append(name)
    seen = s.messages.text("seen.leaked", names=", ".join(leaked)) if leaked else \
        s.messages.text("seen.refused")
    return s.result("server-refuses-outside", not leaked, seen)
