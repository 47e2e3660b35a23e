"""The tools users reach for are in every node: ipcalc (ours) and the standard ones.

The standard tools come with the image, so they are checked once per image (router, dhcp,
dns, and alice for the hosts' image, which bob, carol and files run too)."""
import pytest

ALL = ("router", "dhcp", "dns", "alice", "bob", "carol", "files")
ONE_PER_IMAGE = ("router", "dhcp", "dns", "alice")
TOOLS = ("ping", "traceroute", "tcpdump", "dig", "nc", "iperf3", "ethtool", "ip", "ps", "python3", "nsupdate",
         "dhclient")


@pytest.mark.parametrize("name", ALL)
def test_ipcalc_in_every_node(node, name):
    result = node(name).sh("ipcalc 192.168.7.20 255.255.0.0")
    assert result.ok and "192.168.0.0/16" in result.out, f"ipcalc must work in {name}: {result.out}{result.err}"
    bad = node(name).sh("ipcalc 192.168.7.999/24")
    assert bad.code != 0 and bad.err.count("\n") == 1, "bad input: one line on stderr, non-zero exit"


@pytest.mark.parametrize("name", ONE_PER_IMAGE)
def test_standard_tools_in_every_image(node, name):
    found = node(name).ok(" ; ".join(f"command -v {t} >/dev/null && echo {t}" for t in TOOLS) + "; true").split()
    missing = [tool for tool in TOOLS if tool not in found]
    assert not missing, f"{name} lacks {missing}: users expect the tools they know"
    usage = node(name).sh("busybox udhcpc --help 2>&1")
    assert "Usage: udhcpc" in usage.out, \
        f"busybox udhcpc is the lab's reference DHCP client and must be in {name}: {usage.out[:200]!r}"
    assert node(name).sh("python3 -c 'import scapy.all, dns.resolver'").ok, "scapy and dnspython for scripting"
