"""ipcalc against Python's ipaddress, and the numbers the course's tables get wrong."""
import ipaddress
import random

import pytest

from lanlab import ipcalc


def test_course_example_alice():
    result = ipcalc.describe("192.168.7.20", "/24")
    assert str(result.network) == "192.168.7.0/24", "the network is the address AND the mask"
    assert str(result.broadcast) == "192.168.7.255", "the broadcast is the network OR the wildcard"
    assert result.host_count == 254, "a /24 holds 256 addresses minus network and broadcast"
    assert result.address_class == "C", "192 is in 192-223, class C"
    assert "private" in result.kind, "192.168/16 is an RFC 1918 private range"


def test_alice_and_carol_share_a_16_but_not_a_24():
    # The course's masking lesson: same /16, different /24 networks.
    alice24, carol24 = ipcalc.describe("192.168.7.20/24"), ipcalc.describe("192.168.13.18/24")
    alice16, carol16 = ipcalc.describe("192.168.7.20/16"), ipcalc.describe("192.168.13.18/16")
    assert alice24.network != carol24.network, "at /24 alice and carol are on different networks"
    assert alice16.network == carol16.network, "at /16 they look like one network, so no router is used"


def test_class_a_network_holds_16777214_hosts():
    result = ipcalc.describe("10.1.2.3")
    assert result.prefixlen == 8, "with no mask, class A's default mask /8 applies"
    assert result.host_count == 16_777_214, "2**24 - 2, not the misprinted 1677214"
    assert "16,777,214 hosts" in ipcalc.render(result), "the class line must show the right count"


@pytest.mark.parametrize("address,cls", [
    ("0.1.2.3", "A"), ("127.0.0.1", "A"), ("128.0.0.1", "B"), ("191.255.1.1", "B"),
    ("192.0.0.1", "C"), ("223.1.1.1", "C"), ("224.0.0.1", "D"), ("239.9.9.9", "D"),
    ("240.0.0.1", "E"), ("255.255.255.255", "E"),
])
def test_class_by_first_octet(address, cls):
    assert ipcalc.describe(address, "32").address_class == cls, f"{address} is class {cls} by its first octet"


@pytest.mark.parametrize("address,word", [
    ("10.0.0.1", "private"), ("172.16.0.1", "private"), ("172.31.255.255", "private"),
    ("172.32.0.1", "public"), ("192.168.1.1", "private"), ("127.0.0.1", "loopback"),
    ("169.254.3.4", "link-local"), ("255.255.255.255", "limited broadcast"),
    ("0.0.0.0", "this host"), ("8.8.8.8", "public"), ("224.0.0.5", "multicast"),
])
def test_what_the_address_is(address, word):
    assert word in ipcalc.describe(address, "32").kind, f"{address} should be described as {word}"


def test_network_and_broadcast_roles():
    assert "network address" in ipcalc.describe("192.168.7.0/24").role_in_network
    assert "broadcast" in ipcalc.describe("192.168.7.255/24").role_in_network


@pytest.mark.parametrize("mask,prefix", [("255.255.255.0", 24), ("/16", 16), ("8", 8), ("0.0.0.0", 0),
                                         ("255.255.255.255", 32), ("255.255.240.0", 20)])
def test_both_mask_forms(mask, prefix):
    assert ipcalc.parse_mask(mask) == prefix, f"{mask} is /{prefix}"


def test_point_to_point_and_single_host():
    p2p = ipcalc.describe("10.0.0.0/31")
    assert p2p.host_count == 2 and p2p.broadcast is None, "RFC 3021: a /31 has two hosts and no broadcast"
    single = ipcalc.describe("10.0.0.7/32")
    assert single.host_count == 1 and str(single.first_host) == "10.0.0.7", "a /32 is one host"


def test_random_addresses_agree_with_ipaddress():
    rng = random.Random(7)
    for _ in range(2000):
        address = ipaddress.IPv4Address(rng.getrandbits(32))
        prefix = rng.randint(0, 30)
        result = ipcalc.describe(str(address), f"/{prefix}")
        expected = ipaddress.IPv4Network(f"{address}/{prefix}", strict=False)
        assert result.network == expected, f"{address}/{prefix}: network must match ipaddress"
        assert result.broadcast == expected.broadcast_address, f"{address}/{prefix}: broadcast"
        assert result.host_count == expected.num_addresses - 2, f"{address}/{prefix}: host count"
        assert result.first_host == expected.network_address + 1 and result.last_host == expected.broadcast_address - 1
        assert result.netmask == expected.netmask and result.wildcard == expected.hostmask


@pytest.mark.parametrize("args,fragment", [
    (["300.1.1.1/24"], "not an IPv4 address"),
    (["192.168.7.20/33"], "not a mask length"),
    (["192.168.7.20", "255.0.255.0"], "contiguous"),
    (["192.168.7.20", "banana"], "not a mask"),
    ([], "usage"),
    (["1.2.3.4/8", "8"], "once"),
    (["224.0.0.1"], "no default mask"),
])
def test_bad_input_is_one_line_and_nonzero(capsys, args, fragment):
    assert ipcalc.main(args) == 2, "bad input must exit non-zero"
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1, f"one clear line on stderr, got {err!r}"


def test_main_prints_the_table(capsys):
    assert ipcalc.main(["192.168.13.18", "255.255.255.0"]) == 0
    out = capsys.readouterr().out
    for text in ("192.168.13.0/24", "192.168.13.255", "255.255.255.0 = /24", "Class:     C"):
        assert text in out, f"the table must show {text!r}"
