"""The `dhcp-dns-gateway` lesson: what DHCP gave a host, and DNS at work.
`dhcp-dns-gateway/whoami.py` prints `address: A/PREFIX`, `gateway: G` and `dns: D` for
the host it runs on (read from the system: the lease is in its interface, its routes and
/etc/resolv.conf); `dhcp-dns-gateway/lookup.py NAME` prints NAME's address as the lab's
DNS answers it, or one line saying it has none and exit status 1.

Run as the learner on bob, whose address is a lease from the pool; compared with what
the node holds.
"""
from __future__ import annotations

from lanlab.lessons.local import field, run_all
from lanlab.lessons.runner import Session, excerpt

WHOAMI, LOOKUP = "dhcp-dns-gateway/whoami.py", "dhcp-dns-gateway/lookup.py"
MISSING = "no-such-host"


def truth(s: Session) -> dict[str, str]:
    out = s["bob"].sh("ip -4 -o addr show scope global | awk '{print $4}' | head -1; "
                      "ip route show default | awk '{print $3}' | head -1; "
                      "awk '/^nameserver/ {print $2; exit}' /etc/resolv.conf").out.split()
    return dict(zip(("address", "gateway", "dns"), out + ["?"] * (3 - len(out))))


def checks(s: Session):
    yield from s.absent(WHOAMI, ("address", "gateway", "dns"))
    yield from s.absent(LOOKUP, ("lookup", "lookup-missing"))
    if s.has(WHOAMI):
        want = truth(s)
        out = run_all(s, "bob", WHOAMI, [[]])[()][1]
        for name in ("address", "gateway", "dns"):
            yield s.result(name, field(out, name) == want[name], excerpt(field(out, name)) or excerpt(out)
                           or s.messages.text("seen.nothing"), value=want[name])
    if s.has(LOOKUP):
        outputs = run_all(s, "bob", LOOKUP, [["files"], [MISSING]])
        rc, out = outputs[("files",)]
        yield s.result("lookup", s["files"].address in out.split(), excerpt(out) or s.messages.text("seen.nothing"),
                       value=s["files"].address)
        rc, out = outputs[(MISSING,)]
        clean = rc not in (0, None) and "Traceback" not in out and len(out.strip().splitlines()) <= 1
        yield s.result("lookup-missing", clean, f"{excerpt(out, 100) or '-'} (exit {rc})", name=MISSING)
