"""Dynamic updates with BIND's nsupdate, signed and unsigned; truncation; a restart of dns.

The TSIG key is made by the dns container and shared with dhcp through the `tsig` volume;
these tests read it from there. Every record a test adds, it removes again.
"""
import base64
import subprocess
import time
from pathlib import Path

import pytest

from lanlab.control.probe import wait_for_log
from lanlab.nameserver import keys

KEY_FILE = "/var/lib/lanlab/keys/tsig.key"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def key(node):
    return keys.parse_key_file(node("dns").ok(f"cat {KEY_FILE}"), "dns:" + KEY_FILE)


def y_option(key) -> str:
    """nsupdate -y algorithm:name:secret"""
    name = key.name.to_text(omit_final_dot=True)
    return f"hmac-sha256:{name}:{base64.b64encode(key.secret).decode()}"


def nsupdate(node, plan, commands: str, options: str = ""):
    script = f"server {plan.dns}\n{commands}\nsend\n"
    return node.sh(f"printf '{script}' | nsupdate -t 3 {options}")


def lookup(node, plan, args: str) -> set[str]:
    out = node.ok(f"dig @{plan.dns} +time=2 +tries=2 +short {args}")
    return set(out.split())


def serial(node, plan) -> int:
    fields = node.ok(f"dig @{plan.dns} +time=2 +short lab.internal SOA").split()
    assert len(fields) == 7 and fields[0] == "dns.lab.internal.", f"lab.internal must have our SOA: {fields}"
    return int(fields[2])


def key_volume(lab, service: str) -> str | None:
    mounts = lab.container(service).attrs["Mounts"]
    return next((m["Name"] for m in mounts if m["Destination"] == "/var/lib/lanlab/keys" and m["Type"] == "volume"),
                None)


def test_the_key_reaches_dhcp_and_never_git(node, lab, key):
    in_dns = node("dns").ok(f"cat {KEY_FILE}")
    in_dhcp = node("dhcp").ok(f"cat {KEY_FILE}")
    assert in_dns == in_dhcp, "dhcp must hold the very key dns checks, through the shared volume"
    assert 'algorithm hmac-sha256;' in in_dns, "the key is hmac-sha256, as nsupdate -k and BIND expect"
    volume = key_volume(lab, "dns")
    assert volume and volume == key_volume(lab, "dhcp"), \
        "the key lives in a Docker volume the two share, made at the first start: never in an image"
    secret = base64.b64encode(key.secret).decode()
    tracked = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True).stdout
    leaked = [name for name in tracked.decode().split("\0")
              if name and (ROOT / name).is_file() and secret.encode() in (ROOT / name).read_bytes()]
    assert tracked and not leaked, f"the lab's TSIG secret must be in no file git tracks: {leaked}"


def test_signed_update_with_nsupdate_y(node, plan, key):
    alice = node("alice")
    before = serial(alice, plan)
    result = nsupdate(alice, plan, "update add lab-test-y.lab.internal 60 A 10.99.0.1", f"-y {y_option(key)}")
    try:
        assert result.ok, f"nsupdate -y with the lab's key must be accepted: {result.out}{result.err}"
        assert lookup(alice, plan, "lab-test-y.lab.internal") == {"10.99.0.1"}, "the new name resolves at once"
        assert serial(alice, plan) > before, "the SOA serial grows with every change"
    finally:
        nsupdate(alice, plan, "update delete lab-test-y.lab.internal A", f"-y {y_option(key)}")
    assert lookup(alice, plan, "lab-test-y.lab.internal") == set(), "and a signed delete removes it"


def test_signed_update_with_nsupdate_k_from_dhcp(node, plan):
    dhcp = node("dhcp")
    result = nsupdate(dhcp, plan, "zone lab.internal\nupdate add lab-test-k.lab.internal 60 A 10.99.0.2",
                      f"-k {KEY_FILE}")
    try:
        assert result.ok, f"nsupdate -k must read our key file (BIND format): {result.out}{result.err}"
        assert lookup(node("carol"), plan, "lab-test-k.lab.internal") == {"10.99.0.2"}
    finally:
        nsupdate(dhcp, plan, "update delete lab-test-k.lab.internal", f"-k {KEY_FILE}")


def test_unsigned_update_is_refused(node, plan):
    alice = node("alice")
    result = nsupdate(alice, plan, "update add lab-test-evil.lab.internal 60 A 10.99.0.3")
    assert not result.ok and "REFUSED" in result.out + result.err, \
        f"an unsigned update must be refused: anyone could hijack names otherwise ({result.out}{result.err})"
    assert lookup(alice, plan, "lab-test-evil.lab.internal") == set(), "and nothing changed"


def test_update_signed_with_a_wrong_key_is_refused(node, plan):
    wrong = "hmac-sha256:lanlab-ddns:" + base64.b64encode(b"not the lab key, 32 bytes long!!").decode()
    result = nsupdate(node("alice"), plan, "update add lab-test-evil.lab.internal 60 A 10.99.0.3", f"-y {wrong}")
    assert not result.ok and "NOTAUTH" in result.out + result.err, \
        f"a bad signature gets NOTAUTH (BADSIG), as BIND answers it: {result.out}{result.err}"


def test_fixed_names_cannot_be_taken_over(node, plan, key):
    result = nsupdate(node("alice"), plan, "update add dns.lab.internal 60 A 10.99.0.4", f"-y {y_option(key)}")
    assert not result.ok and "REFUSED" in result.out + result.err, "even with the key, dns/dhcp/router stay fixed"
    assert lookup(node("alice"), plan, "dns.lab.internal") == {str(plan.dns)}


def test_big_answer_is_truncated_over_udp_and_complete_over_tcp(node, plan, key):
    alice = node("alice")
    adds = "\n".join(f"update add lab-test-big.lab.internal 60 A 10.99.1.{i}" for i in range(1, 61))
    assert nsupdate(alice, plan, adds, f"-y {y_option(key)}").ok
    try:
        udp = alice.ok(f"dig @{plan.dns} +time=2 +noedns +ignore +noall +comments lab-test-big.lab.internal")
        assert " tc" in udp.split("flags:", 1)[1].split(";", 1)[0], \
            f"60 addresses do not fit 512 bytes: the TC bit must tell the client to use TCP\n{udp}"
        full = lookup(alice, plan, "+noedns lab-test-big.lab.internal")
        assert len(full) == 60, "dig retries over TCP on TC and gets every address"
    finally:
        nsupdate(alice, plan, "update delete lab-test-big.lab.internal", f"-y {y_option(key)}")


def test_records_survive_a_restart_of_dns(node, plan, key, lab, measured):
    alice = node("alice")
    assert nsupdate(alice, plan, "update add lab-test-keep.lab.internal 300 A 10.99.0.5", f"-y {y_option(key)}").ok
    before = serial(alice, plan)
    try:
        started = time.monotonic()
        lab.container("dns").restart(timeout=2)
        back = alice.sh(f"for i in $(seq 150); do dig @{plan.dns} +time=1 +tries=1 +short lab-test-keep.lab.internal"
                        " | grep -qx 10.99.0.5 && exit 0; sleep 0.2; done; exit 1", timeout=60)
        measured["docker restart dns -> answering again"] = f"{time.monotonic() - started:.1f} s"
        assert back.ok, "after `docker restart` of dns the dynamic record must be answered again"
        assert serial(alice, plan) >= before, "the serial never goes back after a restart"
        lab.wait(timeout=120)
    finally:
        nsupdate(alice, plan, "update delete lab-test-keep.lab.internal", f"-y {y_option(key)}")
    assert serial(alice, plan) > before, "and grows with the next change"


FUZZ = r"""
import os, random, socket, struct, sys
server = sys.argv[1]
rng = random.Random(2024)
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(10000):
    size = rng.choice([rng.randrange(0, 12), rng.randrange(12, 80), rng.randrange(80, 1400)])
    udp.sendto(rng.randbytes(size), (server, 53))
tcp_sent = 0
for i in range(100):
    s = socket.create_connection((server, 53), timeout=2)
    junk = rng.randbytes(rng.randrange(1, 2000))
    if i % 3 == 0:
        junk = struct.pack("!H", 500) + junk[:100]   # a message that never finishes
    s.sendall(junk)
    s.close()
    tcp_sent += 1
print("sent 10000 UDP datagrams and", tcp_sent, "TCP connections of junk")
"""


def test_fuzz_over_udp_and_tcp_then_a_real_query(node, plan, lab):
    dns_container = lab.container("dns")
    started = dns_container.attrs["State"]["StartedAt"]
    since = time.time()
    result = node("alice").run(["python3", "-c", FUZZ, str(plan.dns)], timeout=120)
    assert result.ok, f"the fuzz itself failed: {result.err}"
    for transport in ("", "+tcp"):
        assert lookup(node("alice"), plan, f"{transport} dns.lab.internal") == {str(plan.dns)}, \
            f"after 10,000 bad datagrams and 100 bad TCP clients, a real query ({transport or 'UDP'}) is answered"
    dns_container.reload()
    assert dns_container.status == "running" and dns_container.attrs["State"]["StartedAt"] == started, \
        "the server never died (the container runs with restart: no, so a death would stop it)"
    # At most 20 lines a second are printed; the rest are counted in one summary line,
    # which the server writes once that second is over.
    summary = wait_for_log(dns_container, "more lines like these", since, 10)
    assert summary, "a flood of bad input is logged a few lines a second, the rest counted in one line"
