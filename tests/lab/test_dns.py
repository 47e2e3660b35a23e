"""Our DNS server (dns, .3 on svc) checked from the hosts with dig and host (BIND's clients).

Every query goes to the lab's own server by address (@10.0.0.3 or the moved prefix):
nothing here asks Docker's resolver, so no query can leave the lab. Names outside our
zones are REFUSED by our server, which never recurses.
"""
import pytest

HOSTS = ("alice", "carol")  # one on each client subnet: queries cross the router


def dig(node, plan, args: str) -> str:
    result = node.sh(f"dig @{plan.dns} +time=2 +tries=2 +norec {args}")
    assert result.ok, f"dig {args} got no answer from {plan.dns} ({result.code}): {result.out}{result.err}"
    return result.out


def short(node, plan, args: str) -> set[str]:
    return set(dig(node, plan, f"+short {args}").split())


def status(node, plan, args: str) -> str:
    out = dig(node, plan, f"+noall +comments {args}")
    return out.split("status: ", 1)[1].split(",", 1)[0] if "status: " in out else out


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("transport", ["", "+tcp"])
def test_fixed_names_over_udp_and_tcp(node, plan, host, transport):
    client = node(host)
    routers = {str(s.router) for s in plan.subnets}
    assert short(client, plan, f"{transport} dns.lab.internal A") == {str(plan.dns)}, \
        f"{host} must find the DNS server by name ({transport or 'UDP'})"
    assert short(client, plan, f"{transport} dhcp.lab.internal A") == {str(plan.dhcp)}
    assert short(client, plan, f"{transport} router.lab.internal A") == routers, \
        "router has one A per interface: any of them reaches it"
    lan_a = plan.subnet("lan-a")
    assert short(client, plan, f"{transport} -x {lan_a.router}") == {"router-lan-a.lab.internal."}, \
        "the PTR of a router address names the interface, so traceroute shows which one was crossed"


@pytest.mark.parametrize("transport", ["", "+tcp"])
def test_soa_and_ns_of_every_zone(node, plan, transport):
    zones = ["lab.internal"] + [".".join(reversed(s.prefix.split("."))) + ".in-addr.arpa" for s in plan.subnets]
    for zone in zones:
        soa = dig(node("alice"), plan, f"{transport} +noall +answer {zone} SOA")
        assert "dns.lab.internal. hostmaster.lab.internal." in soa, f"{zone} must have our SOA: {soa}"
        assert short(node("alice"), plan, f"{transport} {zone} NS") == {"dns.lab.internal."}, f"{zone}'s NS is dns"


def test_answers_are_authoritative_and_not_recursive(node, plan):
    out = dig(node("alice"), plan, "+noall +comments dns.lab.internal")
    flags = out.split("flags:", 1)[1].split(";", 1)[0]
    assert " aa" in flags, f"we are the authority for lab.internal: dig must see aa ({flags})"
    assert " ra" not in flags, "we offer no recursion: ra must be clear"


def test_unknown_name_is_nxdomain_with_soa(node, plan):
    out = dig(node("alice"), plan, "+noall +comments +authority nobody-here.lab.internal")
    assert "status: NXDOMAIN" in out, "an unknown name in our zone does not exist"
    assert "IN\tSOA" in out, "and the answer carries the SOA (RFC 2308) so resolvers may cache it"


@pytest.mark.parametrize("name", ["example.com", "www.debian.org", "1.1.1.1.in-addr.arpa PTR"])
def test_outside_the_zones_is_refused(node, plan, name):
    assert status(node("carol"), plan, name) == "REFUSED", \
        f"{name}: nothing leaves the lab, so names we do not hold are REFUSED, never looked up elsewhere"


def test_edns_and_badvers(node, plan):
    out = dig(node("alice"), plan, "+noall +comments +bufsize=4096 dns.lab.internal")
    assert "udp: 1232" in out, f"EDNS queries get our 1232-byte payload back: {out}"
    assert status(node("alice"), plan, "+edns=1 +noednsnegotiation dns.lab.internal") == "BADVERS", \
        "an EDNS version we do not speak gets BADVERS (RFC 6891)"


def test_host_command(node, plan):
    out = node("carol").ok(f"host -W 2 dns.lab.internal {plan.dns}")
    assert f"dns.lab.internal has address {plan.dns}" in out, f"host(1) must resolve dns: {out}"
    out = node("carol").ok(f"host -W 2 {plan.dhcp} {plan.dns}")
    assert "domain name pointer dhcp.lab.internal." in out, f"host(1) must reverse-resolve dhcp: {out}"
