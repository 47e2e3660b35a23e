"""Who may talk to the view's server: pure checks, no I/O (the server applies them).

A shell into every node sits behind this page, so every request must come
- to the server's own address and port in its Host header (RFC 9110 section 7.2): a page
  of another site that rebinds its DNS name to 127.0.0.1 sends its own name and is refused;
- with the token printed once at start, in the cookie set from the URL (RFC 6265:
  HttpOnly, SameSite=Strict) or an `Authorization: Bearer` header (other tools);
- for a WebSocket (RFC 6455 section 10.2), from a page of this server's own Origin.
Static paths never leave their folder.
"""
from __future__ import annotations

import hmac
import ipaddress
import secrets
from pathlib import Path

COOKIE = "lanlab_view"
LOOPBACK_NAMES = ("localhost",)


def new_token() -> str:
    return secrets.token_urlsafe(24)


def token_ok(expected: str, cookie: str | None, authorization: str | None) -> bool:
    given = cookie or ""
    if not given and authorization and authorization.startswith("Bearer "):
        given = authorization[len("Bearer "):]
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


def split_host(value: str) -> tuple[str, int | None]:
    """'127.0.0.1:8080' -> ('127.0.0.1', 8080); '[::1]:80' -> ('::1', 80)."""
    value = value.strip().lower()
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port = value.rpartition(":") if value.count(":") == 1 else (value, "", "")
    try:
        return host, int(port) if port else None
    except ValueError:
        return host, -1


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def host_ok(header: str | None, bound: str, port: int) -> bool:
    """Is the Host header this server's own address and port (no DNS name but localhost)?

    Bound to one address: that address (or localhost, when it is a loopback address).
    Bound to every address (0.0.0.0 or ::): any IP literal, never a name."""
    if not header:
        return False
    host, given_port = split_host(header)
    if given_port != port:
        return False
    if bound in ("0.0.0.0", "::", ""):
        return is_ip(host) or host in LOOPBACK_NAMES
    if host == bound.lower():
        return True
    return host in LOOPBACK_NAMES and is_ip(bound) and ipaddress.ip_address(bound).is_loopback


def origin_ok(origin: str | None, bound: str, port: int) -> bool:
    """A WebSocket's Origin: absent (a tool, not a page) or http://<own host>:<port>."""
    if origin is None:
        return True
    if not origin.startswith("http://"):
        return False
    return host_ok(origin[len("http://"):].rstrip("/"), bound, port)


def inside(folder: Path, relative: str) -> Path | None:
    """The file `relative` names inside `folder`, or None if it would leave it."""
    if "\x00" in relative or relative.startswith("/"):
        return None
    root = folder.resolve()
    path = (root / relative).resolve()
    if path != root and root not in path.parents:
        return None
    return path if path.is_file() else None
