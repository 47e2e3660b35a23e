"""Stop the router: the subnets fall apart, each subnet still works; start it: it heals.

The lab is put back as it was (router running, every container healthy) whatever
happens in the test.
"""
import time

import pytest

from lanlab.control.probe import address_of


@pytest.fixture
def stopped_router(lab):
    router = lab.container("router")
    router.stop(timeout=2)
    try:
        yield router
    finally:
        router.reload()
        if router.status != "running":
            router.start()
        lab.wait(timeout=120)


def test_router_down_cuts_subnets_apart_and_heals(node, plan, lab, stopped_router, measured):
    alice, carol_ip = node("alice"), address_of(node("carol"), plan, "lan-b")
    bob_ip = address_of(node("bob"), plan, "lan-a")
    cut = alice.sh(f"ping -c 2 -i 0.3 -W 1 {carol_ip}")
    assert not cut.ok, "with the router stopped nothing else joins lan-a to lan-b; a ping getting through means a bypass"
    same = alice.sh(f"ping -c 2 -i 0.3 -W 1 {bob_ip}")
    assert same.ok, f"a subnet needs no router: alice must still reach bob\n{same.out}"

    started = time.monotonic()
    stopped_router.start()
    healed = alice.sh(f"for i in $(seq 300); do ping -c 1 -W 1 {carol_ip} >/dev/null && exit 0; sleep 0.1; done; exit 1",
                      timeout=90)
    took = time.monotonic() - started
    assert healed.ok, "after the router starts again, alice must reach carol again"
    measured["router restart -> alice reaches carol again"] = f"{took:.1f} s"
