"""RFC 2136 UPDATE with TSIG (RFC 8945): signed updates change the zone, others are refused."""
import struct
from pathlib import Path

import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.update
import pytest

from lanlab.nameserver.handler import Nameserver
from lanlab.nameserver.config import parse_config
from lanlab.nameserver.zones import build_zones

ROOT = Path(__file__).resolve().parents[2]
KEY = dns.tsig.Key("lanlab-ddns.", "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYg==", "hmac-sha256")
WRONG_SECRET = dns.tsig.Key("lanlab-ddns.", "d3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmc=", "hmac-sha256")
UNKNOWN_NAME = dns.tsig.Key("somebody-else.", KEY.secret, "hmac-sha256")
FORWARD = dns.name.from_text("lab.internal.")


@pytest.fixture
def server():
    config = parse_config((ROOT / "dns/lab.toml").read_text(), env={})
    lines = []
    handler = Nameserver(build_zones(config), KEY, max_records=40, log=lines.append)
    handler.lines = lines
    return handler


def send(server, update, keyring=KEY) -> dns.message.Message:
    reply = server.handle(update.to_wire())
    return dns.message.from_wire(reply, keyring=keyring, request_mac=update.mac if keyring else b"")


def new_update(zone="lab.internal", keyring=KEY):
    return dns.update.UpdateMessage(zone, keyring=keyring)


def records(server, name, rdtype="A", zone=FORWARD) -> set[str]:
    rrset = server.zones.exact(zone).get(dns.name.from_text(name), dns.rdatatype.from_text(rdtype))
    return {r.to_text() for r in rrset} if rrset else set()


def serial(server, zone=FORWARD) -> int:
    return server.zones.exact(zone).serial


def test_signed_add_changes_the_zone_and_the_serial(server):
    before = serial(server)
    update = new_update()
    update.add("bob", 300, "A", "192.168.7.101")
    reply = send(server, update)
    assert reply.rcode() == dns.rcode.NOERROR and reply.had_tsig, "a signed update gets a signed NOERROR"
    assert records(server, "bob.lab.internal.") == {"192.168.7.101"}, "the A record is in the zone"
    assert serial(server) == before + 1, "the SOA serial grows with every change"
    assert server.dirty == {FORWARD}, "the changed zone is marked for saving"


def test_unsigned_update_is_refused(server):
    update = new_update(keyring=None)
    update.add("eve", 300, "A", "192.168.7.66")
    reply = send(server, update, keyring=None)
    assert reply.rcode() == dns.rcode.REFUSED, "only the DHCP server, holding the key, may change names"
    assert records(server, "eve.lab.internal.") == set() and serial(server) == 1, "and nothing changed"
    assert any("unsigned UPDATE" in line for line in server.lines), "the refusal is logged"


@pytest.mark.parametrize("key,error", [(WRONG_SECRET, dns.rcode.BADSIG), (UNKNOWN_NAME, dns.rcode.BADKEY)])
def test_badly_signed_update_is_notauth_with_the_tsig_error(server, key, error):
    update = new_update(keyring=key)
    update.add("eve", 300, "A", "192.168.7.66")
    wire = server.handle(update.to_wire())
    reply = dns.message.from_wire(wire, continue_on_error=True)  # unsigned: we cannot verify it
    assert reply.rcode() == dns.rcode.NOTAUTH, "RFC 8945 5.2: a bad signature is NOTAUTH"
    tsig = tsig_error(wire)
    assert tsig == error, f"the TSIG in the reply says why ({error}), as nsupdate shows it"
    assert records(server, "eve.lab.internal.") == set(), "and nothing changed"


def tsig_error(wire: bytes) -> int:
    """The error field of the reply's TSIG record (the last 2+2 bytes before other data)."""
    other_len = struct.unpack("!H", wire[-2:])[0]
    return struct.unpack("!H", wire[-4 - other_len:-2 - other_len])[0]


def test_replayed_update_with_tampered_body_fails_the_signature(server):
    update = new_update()
    update.add("bob", 300, "A", "192.168.7.101")
    wire = bytearray(update.to_wire())
    wire[wire.index(bytes([192, 168, 7, 101])) + 3] = 102
    reply = dns.message.from_wire(server.handle(bytes(wire)), continue_on_error=True)
    assert reply.rcode() == dns.rcode.NOTAUTH, "a changed byte breaks the MAC"
    assert records(server, "bob.lab.internal.") == set()


def test_replace_deletes_the_old_address(server):
    for address in ("192.168.7.101", "192.168.7.102"):
        update = new_update()
        update.replace("bob", 300, "A", address)
        assert send(server, update).rcode() == dns.rcode.NOERROR
    assert records(server, "bob.lab.internal.") == {"192.168.7.102"}, "a host has the address of its newest lease"
    assert serial(server) == 3


def test_delete_one_record_and_whole_names(server):
    update = new_update()
    update.add("multi", 300, "A", "10.0.0.50")
    update.add("multi", 300, "A", "10.0.0.51")
    update.add("multi", 300, "TXT", '"note"')
    send(server, update)
    update = new_update()
    update.delete("multi", "A", "10.0.0.50")
    send(server, update)
    assert records(server, "multi.lab.internal.") == {"10.0.0.51"}, "class NONE deletes one RR"
    update = new_update()
    update.delete("multi")
    send(server, update)
    assert server.zones.exact(FORWARD).node(dns.name.from_text("multi.lab.internal.")) is None, \
        "class ANY type ANY deletes every RRset at the name"


def test_no_change_keeps_the_serial(server):
    update = new_update()
    update.delete("nobody", "A")
    assert send(server, update).rcode() == dns.rcode.NOERROR
    assert serial(server) == 1 and not server.dirty, "deleting what is not there changes nothing"


@pytest.mark.parametrize("name,rdtype,rdata,why", [
    ("dns", "A", "10.0.0.99", "fixed names belong to the configuration"),
    ("router", "A", "10.0.0.99", "fixed names belong to the configuration"),
    ("@", "NS", "evil.example.", "the apex's NS and SOA are not for updates"),
    ("mail", "MX", "10 dns.lab.internal.", "only A, AAAA, PTR and TXT"),
])
def test_policy_refusals(server, name, rdtype, rdata, why):
    update = new_update()
    update.add(name, 300, rdtype, rdata)
    assert send(server, update).rcode() == dns.rcode.REFUSED, why
    assert serial(server) == 1


def test_the_zone_must_be_ours(server):
    update = new_update("example.com")
    update.add("x", 300, "A", "10.0.0.9")
    assert send(server, update).rcode() == dns.rcode.NOTAUTH, "RFC 2136 3.1.2: not our zone is NOTAUTH"


def test_names_outside_the_zone_are_notzone(server):
    update = new_update()
    update.add("x.example.com.", 300, "A", "10.0.0.9")
    assert send(server, update).rcode() == dns.rcode.NOTZONE, "RFC 2136 3.4.1.3: NOTZONE"


def test_an_update_is_atomic(server):
    update = new_update()
    update.add("good", 300, "A", "10.0.0.60")
    update.add("dns", 300, "A", "10.0.0.61")  # refused: the whole update is refused
    assert send(server, update).rcode() == dns.rcode.REFUSED
    assert records(server, "good.lab.internal.") == set(), "RFC 2136 3.4.2: all or nothing"


def test_prerequisites(server):
    update = new_update()
    update.add("bob", 300, "A", "192.168.7.101")
    send(server, update)
    cases = [
        (lambda u: u.present("bob"), dns.rcode.NOERROR),
        (lambda u: u.present("nobody"), dns.rcode.NXDOMAIN),
        (lambda u: u.absent("bob"), dns.rcode.YXDOMAIN),
        (lambda u: u.absent("nobody"), dns.rcode.NOERROR),
        (lambda u: u.present("bob", "A"), dns.rcode.NOERROR),
        (lambda u: u.present("bob", "TXT"), dns.rcode.NXRRSET),
        (lambda u: u.absent("bob", "A"), dns.rcode.YXRRSET),
        (lambda u: u.present("bob", "A", "192.168.7.101"), dns.rcode.NOERROR),
        (lambda u: u.present("bob", "A", "192.168.7.199"), dns.rcode.NXRRSET),
    ]
    for i, (prerequisite, expected) in enumerate(cases):
        update = new_update()
        prerequisite(update)
        update.add(f"p{i}", 300, "A", "10.0.0.70")
        got = send(server, update).rcode()
        assert got == expected, f"prerequisite case {i}: {dns.rcode.to_text(got)}, RFC 2136 3.2 wants {dns.rcode.to_text(expected)}"
        applied = records(server, f"p{i}.lab.internal.") != set()
        assert applied == (expected == dns.rcode.NOERROR), "the update applies only when its prerequisites hold"


def test_a_zone_cannot_grow_past_its_limit(server):
    update = new_update()
    for i in range(60):
        update.add(f"h{i}", 300, "A", f"10.0.1.{i}")
    assert send(server, update).rcode() == dns.rcode.REFUSED, "bounded memory: at most max_records records"
    assert records(server, "h0.lab.internal.") == set()


def test_reverse_zone_updates(server):
    update = new_update("7.168.192.in-addr.arpa")
    update.replace("101", 300, "PTR", "bob.lab.internal.")
    assert send(server, update).rcode() == dns.rcode.NOERROR
    zone = dns.name.from_text("7.168.192.in-addr.arpa.")
    assert records(server, "101.7.168.192.in-addr.arpa.", "PTR", zone) == {"bob.lab.internal."}
    assert serial(server, zone) == 2 and serial(server) == 1, "each zone has its own serial"
