"""The DNS queue: leases become lanlab.dhcp.ddns calls in a background thread, with retries
while the key or the DNS server is missing, and one log line if lanlab.dhcp.ddns is absent.
lanlab.dhcp.ddns belongs to the DNS issue: here a stand-in module with the same interface."""
import ipaddress
import threading
import time
import types

import pytest

from lanlab.dhcp import dnsq
from lanlab.dhcp.handler import DnsChange


class DdnsError(Exception):
    pass


def fake_ddns(fail_key: int, fail_add: int):
    calls, done = [], threading.Event()
    state = {"key": fail_key, "add": fail_add}

    def load_key(path):
        if state["key"] > 0:
            state["key"] -= 1
            raise DdnsError(f"no key at {path}")
        return "KEY"

    def add_host(server, hostname, address, ttl, key, domain):
        if state["add"] > 0:
            state["add"] -= 1
            raise DdnsError("SERVFAIL")
        calls.append(("add", server, hostname, address, ttl, key, domain))

    def remove_host(server, hostname, address, key, domain):
        calls.append(("remove", server, hostname, address, key, domain))
        done.set()

    module = types.SimpleNamespace(DdnsError=DdnsError, load_key=load_key, add_host=add_host,
                                   remove_host=remove_host)
    return module, calls, done


@pytest.fixture
def quick(monkeypatch):
    monkeypatch.setattr(dnsq, "PAUSES", (0.01,))
    monkeypatch.setattr(dnsq, "KEY_PAUSE", 0.01)


def test_changes_reach_ddns_in_order_despite_failures(monkeypatch, quick):
    module, calls, done = fake_ddns(fail_key=2, fail_add=1)
    lines = []
    queue = dnsq.DnsQueue("10.0.0.3", "/keys/tsig.key", 300, lines.append, client=module,
                           domain="example.lab")
    queue.start()
    address = ipaddress.IPv4Address("192.168.7.100")
    queue.put([DnsChange("add", "bob", address), DnsChange("remove", "bob", address)])
    assert done.wait(5), f"the worker must get through a missing key and a failed update: {lines}"
    assert calls == [("add", "10.0.0.3", "bob", "192.168.7.100", 300, "KEY", "example.lab"),
                     ("remove", "10.0.0.3", "bob", "192.168.7.100", "KEY", "example.lab")], \
        "each lease change becomes one ddns call, in order, with the key, the TTL and the configured domain"
    assert any("no key" in line for line in lines), "waiting for the key says why, in the log"
    assert any("SERVFAIL" in line for line in lines), "a failed update says why, in the log"


def test_put_never_blocks_the_server(monkeypatch, quick):
    module, calls, done = fake_ddns(fail_key=0, fail_add=0)
    hung = threading.Event()
    module.add_host = lambda *args, **kwargs: hung.wait(10)  # a DNS server that does not answer
    lines = []
    queue = dnsq.DnsQueue("10.0.0.3", "/keys/tsig.key", 300, lines.append, client=module)
    queue.start()
    started = time.monotonic()
    queue.put([DnsChange("add", f"h{i}", ipaddress.IPv4Address(i)) for i in range(2 * dnsq.MAX_PENDING + 50)])
    took = time.monotonic() - started
    hung.set()
    assert took < 5, f"DHCP must never wait for DNS, even with DNS hanging (put took {took:.1f} s)"
    assert any("queue full" in line for line in lines), "what does not fit is dropped with a log line"


def test_a_failing_host_does_not_hold_up_the_others(monkeypatch, quick):
    module, calls, done = fake_ddns(fail_key=0, fail_add=0)

    def add_host(server, hostname, address, ttl, key, domain):
        if hostname == "bad_name":
            raise DdnsError("not a host name")
        calls.append(("add", hostname))
        if hostname == "carol":
            done.set()
    module.add_host = add_host
    lines = []
    queue = dnsq.DnsQueue("10.0.0.3", "/keys/tsig.key", 300, lines.append, client=module)
    queue.start()
    address = ipaddress.IPv4Address("192.168.7.100")
    queue.put([DnsChange("add", "bad_name", address), DnsChange("add", "bob", address),
               DnsChange("add", "carol", address)])
    assert done.wait(5), "changes for other hosts must go ahead while one keeps failing"
    assert calls == [("add", "bob"), ("add", "carol")], "in their order"


def test_the_key_is_looked_for_soon_then_less_often(monkeypatch):
    """At a lab's start the dns container makes the key a moment after dhcp wants it: a
    fixed 1 s pause there delayed every host's name (and `make up`) by up to a second."""
    module, _, _ = fake_ddns(fail_key=8, fail_add=0)
    pauses = []
    monkeypatch.setattr(dnsq.time, "sleep", pauses.append)
    queue = dnsq.DnsQueue("10.0.0.3", "/keys/tsig.key", 300, lambda line: None)
    queue.ddns = module
    while not queue.have_key():
        pass
    assert pauses[0] == dnsq.FIRST_KEY_PAUSE <= 0.05, "the first retry comes within a few tens of ms"
    assert pauses == sorted(pauses) and max(pauses) == dnsq.KEY_PAUSE, "then backs off to KEY_PAUSE"
    assert queue.key_pause == dnsq.FIRST_KEY_PAUSE, "once found, a later loss starts soon again"
