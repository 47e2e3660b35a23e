"""Reverse DNS for the listener: bounded waits, caching, a cap on lookups in flight."""
import threading
import time

from lanlab.chat.names import Names


def test_found_name_is_returned_and_cached():
    calls = []
    names = Names(lookup=lambda a: calls.append(a) or "alice.lab.internal")
    assert names.name_of("192.168.7.20") == "alice.lab.internal", "a quick PTR answer names the sender"
    assert names.name_of("192.168.7.20") == "alice.lab.internal"
    assert calls == ["192.168.7.20"], "one lookup per address while the answer is fresh"


def test_no_ptr_gives_none_and_is_remembered():
    calls = []
    names = Names(lookup=lambda a: calls.append(a) and None)
    assert names.name_of("10.0.0.9") is None, "no PTR record: show the address"
    assert names.name_of("10.0.0.9") is None and len(calls) == 1, "a missing name is cached too"


def test_slow_lookup_is_not_waited_for_long():
    release = threading.Event()
    names = Names(lookup=lambda a: release.wait(5) and "slow.lab.internal", wait=0.1)
    started = time.monotonic()
    assert names.name_of("10.0.0.9") is None, "no answer within the wait: show the address"
    assert time.monotonic() - started < 0.5, "the listener waits at most `wait` seconds"
    assert names.name_of("10.0.0.9") is None, "while the lookup runs, later messages do not wait again"
    release.set()
    deadline = time.monotonic() + 5  # the lookup's thread stores the answer when it ends
    while names.name_of("10.0.0.9") is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert names.name_of("10.0.0.9") == "slow.lab.internal", "the late answer is used once it comes"


def test_lookups_in_flight_are_capped():
    release = threading.Event()
    names = Names(lookup=lambda a: release.wait(5) and "x", wait=0.05, pending=2)
    names.name_of("10.0.0.1")
    names.name_of("10.0.0.2")
    started = time.monotonic()
    assert names.name_of("10.0.0.3") is None
    assert time.monotonic() - started < 0.03, "past the cap an address is shown at once, no thread started"
    assert threading.active_count() < 10
    release.set()


def test_entries_expire():
    now = [0.0]
    calls = []
    names = Names(lookup=lambda a: calls.append(a) or "n", ttl=10, clock=lambda: now[0])
    names.name_of("10.0.0.1")
    now[0] = 11
    names.name_of("10.0.0.1")
    assert len(calls) == 2, "after the ttl the name is looked up again (DHCP may move names)"


def test_lookup_errors_count_as_no_name():
    def broken(address):
        raise RuntimeError("resolver exploded")

    assert Names(lookup=broken).name_of("10.0.0.1") is None, "a failing lookup is no name, not a dead listener"
