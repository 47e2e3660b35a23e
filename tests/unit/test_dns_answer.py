"""The DNS handler answers queries built with dnspython: RFC 1034/1035, RFC 2308, RFC 6891."""
from pathlib import Path

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.tsig
import dns.update
import pytest

from lanlab.nameserver import handler as answer
from lanlab.nameserver.handler import Nameserver
from lanlab.nameserver.config import parse_config
from lanlab.nameserver.zones import build_zones

ROOT = Path(__file__).resolve().parents[2]
KEY = dns.tsig.Key("lanlab-ddns.", "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYg==", "hmac-sha256")


@pytest.fixture
def server() -> Nameserver:
    config = parse_config((ROOT / "dns/lab.toml").read_text(), env={})
    return Nameserver(build_zones(config), KEY)


def ask(server, name, rdtype="A", tcp=False, keyring=None, **kwargs) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype, **kwargs)
    if keyring is not None:
        query.use_tsig(keyring)
    reply = server.handle(query.to_wire(), tcp=tcp)
    assert reply is not None, f"a well-formed query for {name} must be answered"
    response = dns.message.from_wire(reply, keyring=keyring, request_mac=query.mac if keyring else b"")
    assert response.id == query.id, "the reply must carry the query's ID, or the client drops it"
    return response


def addresses(response) -> set[str]:
    return {rdata.to_text() for rrset in response.answer for rdata in rrset}


def test_fixed_names_answer_with_their_addresses(server):
    for name, expected in [("dns.lab.internal", {"10.0.0.3"}), ("dhcp.lab.internal", {"10.0.0.2"}),
                           ("router-lan-a.lab.internal", {"192.168.7.1"}),
                           ("router.lab.internal", {"192.168.7.1", "192.168.13.1", "10.0.0.1"})]:
        response = ask(server, name)
        assert response.rcode() == dns.rcode.NOERROR and addresses(response) == expected, \
            f"{name} must resolve to {expected}: hosts reach the services by name"
        assert response.flags & dns.flags.AA, "we are the authority for lab.internal: AA must be set"
        assert not response.flags & dns.flags.RA, "no recursion is offered, so RA must be clear"


def test_reverse_lookups_name_the_router_interface(server):
    response = ask(server, "1.7.168.192.in-addr.arpa.", "PTR")
    assert addresses(response) == {"router-lan-a.lab.internal."}, \
        "traceroute shows the PTR of each hop: it should say which router interface was crossed"
    assert addresses(ask(server, "3.0.0.10.in-addr.arpa.", "PTR")) == {"dns.lab.internal."}


def test_soa_and_ns_at_every_apex(server):
    for zone in ("lab.internal", "7.168.192.in-addr.arpa", "13.168.192.in-addr.arpa", "0.0.10.in-addr.arpa"):
        soa = ask(server, zone, "SOA")
        assert soa.answer and soa.answer[0].rdtype == dns.rdatatype.SOA, f"{zone} must have an SOA at its apex"
        assert soa.answer[0][0].mname == dns.name.from_text("dns.lab.internal."), "the SOA names our server as primary"
        ns = ask(server, zone, "NS")
        assert addresses(ns) == {"dns.lab.internal."}, f"{zone}'s NS must be dns.lab.internal"
        glue = {r.to_text() for rrset in ns.additional for r in rrset}
        assert glue == {"10.0.0.3"}, "an NS answer carries the server's address so no second query is needed"


def test_nxdomain_carries_the_soa_with_the_negative_ttl(server):
    response = ask(server, "nobody.lab.internal")
    assert response.rcode() == dns.rcode.NXDOMAIN, "an unknown name in our zone does not exist"
    assert response.flags & dns.flags.AA, "NXDOMAIN from the authority is authoritative"
    assert len(response.authority) == 1 and response.authority[0].rdtype == dns.rdatatype.SOA, \
        "RFC 2308: a negative answer carries the zone's SOA so resolvers know how long to cache it"
    assert response.authority[0].ttl == 60, "the negative TTL is min(SOA TTL, SOA minimum)"


def test_nodata_for_a_name_without_that_type(server):
    response = ask(server, "dns.lab.internal", "MX")
    assert response.rcode() == dns.rcode.NOERROR and not response.answer, \
        "the name exists, so NOERROR with no answer (NODATA), not NXDOMAIN"
    assert response.authority and response.authority[0].rdtype == dns.rdatatype.SOA, "NODATA carries the SOA"


def test_empty_non_terminal_is_nodata(server):
    zone = server.zones.exact(dns.name.from_text("lab.internal."))
    zone.put(dns.rrset.from_text("x.deep.lab.internal.", 60, "IN", "A", "10.0.0.9"))
    response = ask(server, "deep.lab.internal")
    assert response.rcode() == dns.rcode.NOERROR and not response.answer, \
        "RFC 8020: a name with names below it exists, even without records of its own"


def test_any_returns_every_rrset_at_the_name(server):
    types = {rrset.rdtype for rrset in ask(server, "lab.internal", "ANY").answer}
    assert types == {dns.rdatatype.SOA, dns.rdatatype.NS}, "ANY at the apex gives the SOA and the NS"


def test_names_match_case_insensitively(server):
    response = ask(server, "DnS.LAB.internal")
    assert addresses(response) == {"10.0.0.3"}, "RFC 4343: DNS names compare without case"
    assert response.question[0].name.to_text() == "DnS.LAB.internal.", "the question is echoed as asked (0x20)"


@pytest.mark.parametrize("name,rdtype,rdclass", [
    ("example.com", "A", "IN"),           # outside every zone: no recursion
    ("8.8.8.8.in-addr.arpa", "PTR", "IN"),
    ("dns.lab.internal", "A", "CH"),      # another class
    ("lab.internal", "AXFR", "IN"),       # no zone transfers
])
def test_refused_outside_our_zones(server, name, rdtype, rdclass):
    response = ask(server, name, rdtype, rdclass=rdclass)
    assert response.rcode() == dns.rcode.REFUSED, \
        f"{name} {rdclass} {rdtype}: nothing leaves the lab, so what we do not hold is REFUSED"
    assert not response.answer, "a refusal carries no records"


def test_edns_is_answered_with_our_payload(server):
    response = ask(server, "dns.lab.internal", use_edns=0, payload=4096)
    assert response.edns == 0, "an EDNS query gets an EDNS reply (RFC 6891)"
    assert response.payload == answer.OUR_PAYLOAD, "we offer 1232 bytes, the flag-day size"
    assert ask(server, "dns.lab.internal", use_edns=False).edns == -1, "no OPT in, no OPT out"


def test_unknown_edns_version_is_badvers(server):
    query = dns.message.make_query("dns.lab.internal", "A")
    query.use_edns(1)
    response = dns.message.from_wire(server.handle(query.to_wire()))
    assert response.rcode() == dns.rcode.BADVERS, "RFC 6891 6.1.3: versions we do not speak get BADVERS"


def many_addresses(server, count=60):
    zone = server.zones.exact(dns.name.from_text("lab.internal."))
    zone.put(dns.rrset.from_text_list("big.lab.internal.", 60, "IN", "A", [f"10.9.0.{i}" for i in range(1, count + 1)]))


def test_answer_too_big_for_udp_sets_tc(server):
    many_addresses(server)
    small = ask(server, "big.lab.internal", use_edns=False)
    assert small.flags & dns.flags.TC, "60 A records do not fit 512 bytes: TC tells the client to retry over TCP"
    assert not small.answer, "a truncated reply leaves the records out rather than sending half an RRset"
    large = ask(server, "big.lab.internal", use_edns=0, payload=1232)
    assert not large.flags & dns.flags.TC and len(addresses(large)) == 60, "with EDNS 1232 they fit"
    tcp = ask(server, "big.lab.internal", use_edns=False, tcp=True)
    assert not tcp.flags & dns.flags.TC and len(addresses(tcp)) == 60, "over TCP there is no 512-byte limit"


def test_notimp_for_unknown_opcodes(server):
    query = dns.message.make_query("dns.lab.internal", "A")
    query.set_opcode(dns.opcode.STATUS)
    response = dns.message.from_wire(server.handle(query.to_wire()))
    assert response.rcode() == dns.rcode.NOTIMP, "an opcode we do not implement gets NOTIMP, not silence"


def test_responses_are_not_answered(server):
    query = dns.message.make_query("dns.lab.internal", "A")
    query.flags |= dns.flags.QR
    assert server.handle(query.to_wire()) is None, "answering responses would let two servers loop forever"


def test_repeated_query_is_served_from_the_cache_with_its_own_id(server):
    first = dns.message.make_query("dns.lab.internal", "A")
    server.handle(first.to_wire())
    assert first.to_wire()[2:] in server.cache, "plain UDP answers are cached: the fast path"
    second = dns.message.make_query("dns.lab.internal", "A")
    second.id = (first.id + 1) % 65536
    reply = dns.message.from_wire(server.handle(second.to_wire()))
    assert reply.id == second.id and addresses(reply) == {"10.0.0.3"}, \
        "a cached reply gets the new query's ID and the same records"


def test_an_update_empties_the_cache(server):
    query = dns.message.make_query("eve.lab.internal", "A")
    assert ask(server, "eve.lab.internal").rcode() == dns.rcode.NXDOMAIN
    assert server.cache, "the NXDOMAIN was cached"
    update = dns.update.UpdateMessage("lab.internal", keyring=KEY)
    update.add("eve", 300, "A", "192.168.7.50")
    server.handle(update.to_wire())
    assert not server.cache, "after a change no stale answer may be served"
    reply = dns.message.from_wire(server.handle(query.to_wire()))
    assert addresses(reply) == {"192.168.7.50"}, "the new record is answered at once"


def test_signed_query_gets_a_signed_reply_and_is_not_cached(server):
    response = ask(server, "dns.lab.internal", keyring=KEY)
    assert response.had_tsig, "RFC 8945: a signed request gets a signed response"
    assert not server.cache, "signed replies carry a time and a MAC: never replayed from the cache"


def test_internal_failure_is_servfail(server, monkeypatch):
    def broken(*args):
        raise RuntimeError("boom")
    monkeypatch.setattr(server, "lookup", broken)
    lines = []
    server.log = lines.append
    query = dns.message.make_query("dns.lab.internal", "A")
    response = dns.message.from_wire(server.handle(query.to_wire()))
    assert response.rcode() == dns.rcode.SERVFAIL and response.id == query.id, \
        "a failure inside the server is SERVFAIL to the client, not a crash"
    assert len(lines) == 1 and "SERVFAIL" in lines[0], "and one log line saying so"
    assert addresses(ask_after_fix(server, monkeypatch)) == {"10.0.0.3"}, "and the next query works"


def ask_after_fix(server, monkeypatch):
    monkeypatch.undo()
    return ask(server, "dns.lab.internal")
