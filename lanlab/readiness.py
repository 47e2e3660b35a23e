"""`python3 -m lanlab.readiness resolve SERVER DOMAIN NAME...`: run inside a lab container
by the lab control to check that every host's name resolves at the lab's DNS server.

Prints the names that do not resolve, on one line, and exits 1 if there are any. One
query per name, sent only to SERVER (an address inside the lab), each bounded to 2 s.
"""
from __future__ import annotations

import sys

import dns.exception
import dns.name
import dns.resolver


def resolver(server: str, domain: str) -> dns.resolver.Resolver:
    res = dns.resolver.Resolver(configure=False)
    res.nameservers = [server]
    res.search = [dns.name.from_text(domain)]
    res.lifetime = 2.0
    return res


def resolves(res: dns.resolver.Resolver, name: str) -> bool:
    try:
        return res.resolve(name, "A", search=True, raise_on_no_answer=False).rrset is not None
    except dns.exception.DNSException:
        return False


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 3 or args[0] != "resolve":
        print(__doc__, file=sys.stderr)
        return 2
    res = resolver(args[1], args[2])
    missing = [name for name in args[3:] if not resolves(res, name)]
    print(" ".join(missing))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
