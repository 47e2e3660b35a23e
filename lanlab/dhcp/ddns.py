"""Dynamic DNS: the DHCP server tells the DNS server about leases (RFC 2136 + TSIG RFC 8945).

    key = load_key()                                         # /var/lib/lanlab/keys/tsig.key
    add_host("10.0.0.3", "bob", "192.168.7.101", 300, key)   # bob.lab.internal A + its PTR
    remove_host("10.0.0.3", "bob", "192.168.7.101", key)     # on release or expiry

add_host replaces the name's A record (a host has one address) and points the address's
PTR at the name; a PTR left by the host's previous address is removed. The reverse zone
is found as RFC 2136 section 4 says: by asking for the SOA of the PTR name. Each call
sends a few small UDP messages (TCP if a reply is truncated), signed with hmac-sha256,
and is bounded by `timeout` seconds in all. Every failure, a timeout, a refusal or a
reply that fails its TSIG check, raises DdnsError with one line saying what happened.
"""
from __future__ import annotations

import ipaddress
import time

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.reversename
import dns.tsig
import dns.update

from lanlab.nameserver import keys
from lanlab.contracts import DOMAIN, host_label

KEY_PATH = keys.KEY_PATH
TIMEOUT = 2.0


class DdnsError(Exception):
    """An update that did not happen; str(error) says why in one line."""


def load_key(path: str = KEY_PATH) -> dns.tsig.Key:
    try:
        return keys.read_key(path)
    except keys.KeyFileError as error:
        raise DdnsError(str(error)) from None


def add_host(server: str, hostname: str, address: str, ttl: int, key,
             *, domain: str = DOMAIN, port: int = 53, timeout: float = TIMEOUT) -> None:
    name, ptr = host_name(hostname, domain), reverse_name(address)
    deadline = time.monotonic() + timeout
    old = current_addresses(server, port, name, deadline)
    forward = dns.update.UpdateMessage(domain, keyring=key)
    forward.replace(name, ttl, dns.rdatatype.A, address)
    send(server, port, forward, deadline, f"A {name} -> {address}")
    for previous in old - {address}:
        drop_ptr(server, port, name, previous, key, deadline)
    reverse = dns.update.UpdateMessage(zone_of(server, port, ptr, deadline), keyring=key)
    reverse.replace(ptr, ttl, dns.rdatatype.PTR, name.to_text())
    send(server, port, reverse, deadline, f"PTR {ptr} -> {name}")


def remove_host(server: str, hostname: str, address: str, key,
                *, domain: str = DOMAIN, port: int = 53, timeout: float = TIMEOUT) -> None:
    name = host_name(hostname, domain)
    reverse_name(address)
    deadline = time.monotonic() + timeout
    forward = dns.update.UpdateMessage(domain, keyring=key)
    forward.delete(name, dns.rdatatype.A, address)
    send(server, port, forward, deadline, f"remove A {name} -> {address}")
    drop_ptr(server, port, name, address, key, deadline)


# --- the pieces ---------------------------------------------------------------------------

def host_name(hostname: str, domain: str = DOMAIN) -> dns.name.Name:
    """'bob' or 'bob.lab.internal[.]' -> bob.<domain>.; 'a_b' -> a-b.<domain>. (the DHCP
    server's rule, lanlab.contracts.host_label); a name with no letter or digit is refused."""
    label = host_label(str(hostname))
    if not label:
        raise DdnsError(f"{hostname!r} is not a host name (no letter or digit in its first label)")
    return dns.name.from_text(f"{label}.{domain.rstrip('.')}.")


def reverse_name(address: str) -> dns.name.Name:
    try:
        return dns.reversename.from_address(str(ipaddress.IPv4Address(address)))
    except ValueError:
        raise DdnsError(f"{address!r} is not an IPv4 address") from None


def drop_ptr(server: str, port: int, name: dns.name.Name, address: str, key, deadline: float) -> None:
    ptr = reverse_name(address)
    message = dns.update.UpdateMessage(zone_of(server, port, ptr, deadline), keyring=key)
    message.delete(ptr, dns.rdatatype.PTR, name.to_text())
    send(server, port, message, deadline, f"remove PTR {ptr} -> {name}")


def current_addresses(server: str, port: int, name: dns.name.Name, deadline: float) -> set[str]:
    reply = exchange(server, port, dns.message.make_query(name, dns.rdatatype.A), deadline, f"A {name}")
    return {rdata.address for rrset in reply.answer if rrset.rdtype == dns.rdatatype.A for rdata in rrset}


def zone_of(server: str, port: int, name: dns.name.Name, deadline: float) -> dns.name.Name:
    """The zone holding `name`: the owner of the SOA the server gives for it."""
    reply = exchange(server, port, dns.message.make_query(name, dns.rdatatype.SOA), deadline, f"SOA {name}")
    for rrset in (*reply.answer, *reply.authority):
        if rrset.rdtype == dns.rdatatype.SOA:
            return rrset.name
    raise DdnsError(f"{server} serves no zone for {name} ({dns.rcode.to_text(reply.rcode())})")


def send(server: str, port: int, message, deadline: float, what: str) -> None:
    reply = exchange(server, port, message, deadline, what)
    if reply.rcode() != dns.rcode.NOERROR:
        raise DdnsError(f"{server} refused the update ({what}): {dns.rcode.to_text(reply.rcode())}")


def exchange(server: str, port: int, message, deadline: float, what: str):
    """One request and its reply, UDP first, TCP if truncated; DdnsError on any failure."""
    try:
        reply = dns.query.udp(message, server, timeout=remaining(deadline, server, what), port=port)
        if reply.flags & dns.flags.TC:
            reply = dns.query.tcp(message, server, timeout=remaining(deadline, server, what), port=port)
        return reply
    except dns.exception.Timeout:
        raise DdnsError(f"{server} did not answer in time ({what})") from None
    except dns.tsig.PeerError as error:
        raise DdnsError(f"{server} rejected our TSIG signature ({what}): {error}; is it the server's key?") from None
    except (OSError, dns.exception.DNSException, ValueError) as error:
        raise DdnsError(f"{server}: {what} failed: {type(error).__name__}: {error}") from None


def remaining(deadline: float, server: str, what: str) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise DdnsError(f"{server} did not answer in time ({what})")
    return left
