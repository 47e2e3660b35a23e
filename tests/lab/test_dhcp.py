"""DHCP in the running lab, checked by clients no one here wrote: busybox udhcpc and ISC
dhclient in throwaway containers on lan-a and lan-b; every host's address is a lease;
restarts keep addresses; kill -9 of the server loses no lease; fuzz, then a real DORA."""
import ipaddress
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import dhcp_throwaway as throwaway  # noqa: E402

from lanlab.control.probe import wait_for_log  # noqa: E402

HOSTS = ("alice", "bob", "carol", "files")
SUBNETS = ("lan-a", "lan-b")


def lease_table(node) -> dict[str, dict[str, str]]:
    """address -> {hostname, client, state} from `python3 -m lanlab.dhcp.leases` in dhcp."""
    out = node("dhcp").ok("python3 -m lanlab.dhcp.leases /var/lib/lanlab/dhcp")
    table = {}
    for line in out.splitlines()[1:]:
        address, hostname, client, state, _ = line.split(None, 4)
        table[address] = {"hostname": hostname, "client": client, "state": state}
    return table


def host_addresses(node, name: str) -> list[str]:
    out = node(name).ok("ip -4 -o addr show scope global | awk '{print $4}'")
    return out.split()


def client_id(text: str) -> str:
    """udhcpc's flag for option 61, type 0 and `text`."""
    return "-x 0x3d:00" + text.encode().hex()


def check_lease(fields: dict, plan, subnet_name: str, client: str) -> None:
    subnet = plan.subnet(subnet_name)
    first, last = subnet.pool
    assert fields, f"{client} on {subnet_name} got no lease: the server or the relay failed it"
    address = ipaddress.ip_address(fields["ip"])
    assert first <= address <= last, f"{client} on {subnet_name} got {address}, outside the pool {first}-{last}"
    assert fields.get("subnet", "") == "255.255.255.0", f"{client}: the mask must be /24, got {fields}"
    assert fields["router"] == str(subnet.router), f"{client}: the gateway must be the router {subnet.router}"
    assert fields["dns"] == str(plan.dns), f"{client}: the DNS server must be {plan.dns} (option 6)"
    assert fields["domain"] == "lab.internal", f"{client}: the domain must be lab.internal (option 15)"
    assert fields["serverid"] == str(plan.dhcp), f"{client}: the lease must come from our server {plan.dhcp}"


@pytest.mark.parametrize("subnet", SUBNETS)
def test_busybox_udhcpc_gets_a_lease(lab, plan, subnet):
    result = throwaway.run(lab, subnet, throwaway.udhcpc())
    check_lease(throwaway.bound_fields(result.out), plan, subnet, "udhcpc")
    assert result.code == 0, f"udhcpc must exit cleanly after its lease:\n{result.out}"


@pytest.mark.parametrize("subnet", SUBNETS)
def test_isc_dhclient_gets_a_lease(lab, plan, subnet):
    result = throwaway.run(lab, subnet, throwaway.dhclient())
    check_lease(throwaway.bound_fields(result.out), plan, subnet, "dhclient")
    assert "DHCPOFFER of" in result.out and f"from {plan.subnet(subnet).router}" in result.out, \
        f"dhclient must hear the offer through the relay (the router):\n{result.out}"


@pytest.mark.parametrize("name", HOSTS)
def test_every_host_address_is_a_lease(node, plan, name):
    addresses = host_addresses(node, name)
    assert len(addresses) == 1, f"{name} must hold exactly one address (the lease, not Docker's): {addresses}"
    address = addresses[0].split("/")[0]
    assert addresses[0].endswith("/24"), f"{name}'s lease must carry the /24 mask: {addresses[0]}"
    entry = lease_table(node).get(address)
    assert entry and entry["state"] == "bound" and entry["hostname"] == name, \
        f"{name}'s address {address} must be its bound lease in the server's table, got {entry}"
    reserved = plan.host(name).reserved
    if reserved is not None:
        assert address == str(reserved), f"{name} must get its reservation {reserved}, got {address}"
    else:
        first, last = plan.subnet(plan.host(name).subnet).pool
        assert first <= ipaddress.ip_address(address) <= last, f"{name} must get a pool address, got {address}"


@pytest.mark.parametrize("name", HOSTS)
def test_every_host_has_the_route_and_resolver_from_its_lease(node, plan, name):
    gateway = plan.gateway_of(plan.host(name))
    route = node(name).ok("ip route show default")
    assert f"via {gateway}" in route, f"{name}'s default route must be the router {gateway} (option 3): {route}"
    resolv = node(name).ok("cat /etc/resolv.conf")
    assert f"nameserver {plan.dns}" in resolv, f"{name} must use the lab's DNS server (option 6):\n{resolv}"
    assert "search lab.internal" in resolv, f"{name} must search lab.internal (option 15):\n{resolv}"
    assert "127.0.0.11" not in resolv, f"{name} must no longer use Docker's resolver:\n{resolv}"


def test_a_host_renews_its_lease(node, plan):
    address = host_addresses(node, "bob")[0].split("/")[0]
    assert lease_table(node)[address]["state"] == "bound", f"bob's {address} must be a bound lease to renew"
    obtained = f"lease of {address} obtained from {plan.dhcp}"
    count = node("bob").container.logs().decode().count(obtained)
    node("bob").ok("kill -USR1 $(pidof busybox)")  # udhcpc: renew now (unicast to the server)
    deadline, logs = time.monotonic() + 10, ""
    while time.monotonic() < deadline and logs.count(obtained) <= count:
        time.sleep(0.2)
        logs = node("bob").container.logs().decode()
    assert logs.count(obtained) > count, f"bob's udhcpc must renew {address} with our server:\n{logs[-1500:]}"
    assert f"sending renew to server {plan.dhcp}" in logs, "the renewal goes to the server itself (unicast)"
    assert lease_table(node)[address]["state"] == "bound", "and the server keeps it bound"


PROBE = ("import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2); "
         "s.sendto(b'', ('{address}', 67)); data, peer = s.recvfrom(512); print(len(data), peer[0])")


def test_the_relay_and_the_server_answer_the_path_probe(node, plan):
    """Hosts send their first DISCOVER once this probe is answered (lanlab/dhcp/probe.py):
    a relay or server that stopped answering would cost every host's boot seconds."""
    router = str(plan.subnet("lan-a").router)
    answer = node("alice").ok(f"python3 -c \"{PROBE.format(address=router)}\"").split()
    assert answer == ["0", router], f"the relay must answer a zero-length probe with one, got {answer}"
    answer = node("dns").ok(f"python3 -c \"{PROBE.format(address=plan.dhcp)}\"").split()
    assert answer == ["0", str(plan.dhcp)], f"the server must answer the relay's probe, got {answer}"


def test_udhcpc_is_started_again_if_it_dies_and_the_address_stays(node):
    """A host keeps its lease only while its DHCP client runs (it renews at T1); and the
    address must not vanish while the new client asks for it (connections would break)."""
    address = host_addresses(node, "bob")
    obtained = f"lease of {address[0].split('/')[0]} obtained"
    count = node("bob").container.logs().decode().count(obtained)
    before = node("bob").ok("pidof busybox").split()
    node("bob").ok("kill -9 $(pidof busybox)")
    deadline = time.monotonic() + 10
    after, held, logs = [], [], ""
    while time.monotonic() < deadline:
        after = node("bob").sh("pidof busybox").out.split()
        held.append(host_addresses(node, "bob"))
        logs = node("bob").container.logs().decode()
        if after and after != before and logs.count(obtained) > count:
            break
        time.sleep(0.2)
    assert after and after != before, "bob's udhcpc was killed and not started again by lanlab.host.program"
    assert logs.count(obtained) > count, f"the new udhcpc must get {address} again:\n{logs[-2000:]}"
    assert all(seen == address for seen in held), \
        f"bob must hold {address} all along while its new udhcpc asks for it again, saw {held}"


@pytest.mark.parametrize("name", ["bob", "alice"])
def test_a_restarted_host_gets_its_address_back(lab, node, name):
    before = host_addresses(node, name)
    node(name).container.restart(timeout=2)
    lab.wait(timeout=120)
    after = host_addresses(node, name)
    assert after == before, f"{name} restarted with {after}, had {before}: its client id must bring it back"


def test_kill_9_of_the_server_loses_no_lease(lab, node, plan):
    # Throwaways get the same Docker address, so the same MAC: distinct client ids make
    # them distinct clients to the server.
    fresh = throwaway.run(lab, "lan-a", throwaway.udhcpc(extra=client_id("before-crash")))
    acked = throwaway.bound_fields(fresh.out).get("ip")
    assert acked, f"a client must get a lease before the crash:\n{fresh.out}"
    before = lease_table(node)
    dhcp = lab.container("dhcp")
    dhcp.kill(signal="SIGKILL")
    dhcp.start()
    lab.wait(timeout=120)
    after = lease_table(node)
    for address, entry in before.items():
        if entry["state"] == "bound":
            assert after.get(address, {}).get("client") == entry["client"], \
                f"lease {address} of {entry['client']} was lost by kill -9: {after.get(address)}"
    assert after[acked]["state"] == "bound", f"the lease ACKed just before the crash ({acked}) must survive"
    second = throwaway.run(lab, "lan-a", throwaway.udhcpc(extra=client_id(f"after-crash-{time.time()}")))
    other = throwaway.bound_fields(second.out).get("ip")
    assert other and other not in [a for a, e in after.items() if e["state"] == "bound"], \
        f"a new client after the crash got {other}, an address already leased to someone else"


FUZZ = r"""
import random, socket, sys
rng = random.Random(int(sys.argv[2]))
target = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.bind(("", 68))
header = bytes([1, 1, 6, 0]) + rng.randbytes(4) + bytes(20) + rng.randbytes(6) + bytes(202)
valid = header + bytes.fromhex("63825363 350101 ff")
for i in range(int(sys.argv[3])):
    if i % 3 == 0:
        data = rng.randbytes(rng.randrange(600))
    else:
        data = bytearray(valid)
        for _ in range(rng.randint(1, 4)):
            if len(data) < 28:
                break
            pos = rng.randrange(len(data))
            choice = rng.randrange(4)
            if choice == 0: data[pos] = rng.randrange(256)
            elif choice == 1: del data[pos:]
            elif choice == 2: data[240:240] = bytes([rng.randrange(1, 255), rng.randrange(256)])
            else:
                start = rng.choice([12, 24])
                data[start:start + 4] = rng.randbytes(4)
        data = bytes(data)
    try:
        s.sendto(data, (target, 67))
    except OSError:
        pass
print("sent", i + 1)
"""


def test_fuzz_over_the_wire_then_a_real_dora(lab, plan):
    started = {name: lab.container(name).attrs["State"]["StartedAt"] for name in ("dhcp", "router")}
    since = time.time()
    # The server's log holds 100 lines a second and counts the rest (lanlab/ratelog.py):
    # the direct fuzz first, so that its drops are logged before the relayed flood's lines.
    direct = throwaway.run(lab, "svc", f"python3 -c '{FUZZ}' {plan.dhcp} 2 6000")
    relay = throwaway.run(lab, "lan-a", f"python3 -c '{FUZZ}' 255.255.255.255 1 6000")
    assert "sent 6000" in relay.out and "sent 6000" in direct.out, \
        f"the fuzzers must have sent their packets:\n{relay.out}{relay.err}\n{direct.out}{direct.err}"
    for name, when in started.items():
        container = lab.container(name)
        container.reload()
        assert container.status == "running" and container.attrs["State"]["StartedAt"] == when, \
            f"{name} must survive 12,000 malformed packets without dying or restarting"
    result = throwaway.run(lab, "lan-b", throwaway.udhcpc())
    check_lease(throwaway.bound_fields(result.out), plan, "lan-b", "udhcpc after the fuzz")
    assert wait_for_log(lab.container("dhcp"), "dropped a malformed packet", since), \
        "the server must log what it dropped"


def test_requests_on_the_servers_own_subnet_are_not_relayed(lab, plan):
    since = int(time.time())
    result = throwaway.run(lab, "svc", throwaway.udhcpc(tries=2))
    assert not throwaway.bound_fields(result.out), f"svc has no pool: no lease there\n{result.out}"
    logs = lab.container("dhcp").logs(since=since).decode()
    heard = [line for line in logs.splitlines() if "no pool on svc" in line]
    assert heard, f"the server must hear the svc client itself and say it has no pool:\n{logs[-2000:]}"
    relayed = [line for line in heard if f"[from {plan.svc.router}]" in line]
    assert not relayed, f"the relay must not pass on requests from the server's own subnet:\n{relayed}"
    # (Lines from other svc clients may be there too: the fuzz test's unicast packets can
    # still be in the server's queue when this test starts.)
    assert any("[from 0.0.0.0]" in line for line in heard), \
        f"the client's own broadcast must be heard directly, not through the relay:\n{heard}"


def wait_for_answer(node, plan, name: str, want: set[str], seconds: float = 60) -> set[str]:
    """dig's answer for `name`, polled until it is `want`: DNS updates are queued and retried
    in the background (a loaded machine may time some out), so allow a minute."""
    deadline = time.monotonic() + seconds
    while True:
        got = set(node("alice").ok(f"dig @{plan.dns} +time=2 +tries=1 +short {name}").split())
        if got == want or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def test_a_named_lease_is_in_dns_until_released(lab, node, plan):
    name = f"lease-{int(time.time()) % 100000}"
    # A throwaway udhcpc takes a lease and holds it until this test tells it to release
    # it (SIGUSR2): A and PTR records must come, then go.
    holder = throwaway.start(lab, "lan-a", throwaway.udhcpc_until_released(f"-x hostname:{name} {client_id(name)}"))
    try:
        address = None
        deadline = time.monotonic() + 30
        while address is None and time.monotonic() < deadline:
            address = next((a for a, e in lease_table(node).items() if e["hostname"] == name), None)
            time.sleep(0.2)
        assert address, f"the throwaway {name} must get a lease"
        got = wait_for_answer(node, plan, f"{name}.lab.internal", {address})
        assert got == {address}, f"a lease with a host name must give {name}.lab.internal A {address}: {got}"
        reverse = wait_for_answer(node, plan, f"-x {address}", {f"{name}.lab.internal."})
        assert reverse == {f"{name}.lab.internal."}, f"and its PTR: {reverse}"
        holder.exec_run(["touch", throwaway.RELEASE])
    finally:
        released = throwaway.finish(holder, timeout=60)
    assert released.code == 0, f"the throwaway must release its lease and end:\n{released.out}{released.err}"
    gone = wait_for_answer(node, plan, f"{name}.lab.internal", set())
    assert gone == set(), f"after RELEASE the name must go from DNS: {gone}"
    assert wait_for_answer(node, plan, f"-x {address}", set()) == set(), "and so must its PTR"
