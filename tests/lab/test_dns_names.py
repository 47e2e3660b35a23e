"""Hosts find each other by name through the C library, as users will: getent, ping.

This needs DHCP (issue 3): it gives hosts /etc/resolv.conf with `nameserver <dns>` and
`search lab.internal`, and registers their names with our server. Each test first checks
resolv.conf, so no lookup is ever sent to Docker's resolver (which would forward it out
of the lab).
"""
import pytest


def uses_our_server(node, plan, host: str) -> None:
    resolv = node(host).ok("cat /etc/resolv.conf")
    servers = [line.split()[1] for line in resolv.splitlines() if line.startswith("nameserver")]
    assert servers == [str(plan.dns)], \
        f"{host}'s resolv.conf must name only our DNS server {plan.dns} (from DHCP), not {servers}"
    assert any(line.split()[:2] == ["search", "lab.internal"] for line in resolv.splitlines()), \
        f"{host}'s resolv.conf must search lab.internal, so `ping carol` works"


@pytest.mark.parametrize("host", ["alice", "carol"])
def test_getent_finds_the_services(node, plan, host):
    uses_our_server(node, plan, host)
    for name, address in [("dns", plan.dns), ("dhcp.lab.internal", plan.dhcp)]:
        out = node(host).ok(f"getent hosts {name}")
        assert out.split()[0] == str(address), f"getent hosts {name} in {host} must give {address}: {out}"


@pytest.mark.parametrize("src,dst", [("alice", "carol"), ("carol", "files"), ("bob", "alice")])
def test_hosts_find_each_other_by_name(node, plan, src, dst):
    uses_our_server(node, plan, src)
    out = node(src).sh(f"getent hosts {dst}")
    assert out.ok, f"{dst} must be registered by DHCP and found from {src}: getent hosts {dst} failed"
    address = out.out.split()[0]
    assert plan.subnet_of(address) == plan.subnet(plan.host(dst).subnet), \
        f"{dst} must resolve to its address on {plan.host(dst).subnet}, got {address}"
    ping = node(src).sh(f"ping -c 1 -W 2 {dst}")
    assert ping.ok, f"`ping {dst}` from {src} must just work (issue 4): {ping.out}"


def test_reverse_lookup_through_the_c_library(node, plan):
    uses_our_server(node, plan, "alice")
    out = node("alice").ok(f"getent hosts {plan.dns}")
    assert "dns.lab.internal" in out, f"getent hosts {plan.dns} must find its PTR: {out}"
