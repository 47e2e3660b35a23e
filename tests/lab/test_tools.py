"""The tools users reach for are in every node: ipcalc (ours) and the standard ones."""
import pytest

ALL = ("router", "dhcp", "dns", "alice", "bob", "carol", "files")
TOOLS = ("ping", "traceroute", "tcpdump", "dig", "nc", "iperf3", "ethtool", "ip", "ps", "python3", "nsupdate",
         "dhclient")


@pytest.mark.parametrize("name", ALL)
def test_ipcalc_in_every_node(node, name):
    result = node(name).sh("ipcalc 192.168.7.20 255.255.0.0")
    assert result.ok and "192.168.0.0/16" in result.out, f"ipcalc must work in {name}: {result.out}{result.err}"
    bad = node(name).sh("ipcalc 192.168.7.999/24")
    assert bad.code != 0 and bad.err.count("\n") == 1, "bad input: one line on stderr, non-zero exit"


@pytest.mark.parametrize("name", ALL)
def test_standard_tools_in_every_node(node, name):
    missing = node(name).sh(" ; ".join(f"command -v {t} >/dev/null || echo {t}" for t in TOOLS)).out.split()
    assert not missing, f"{name} lacks {missing}: users expect the tools they know"
    assert node(name).sh("busybox udhcpc --help 2>&1 | head -1").out, "busybox udhcpc is the lab's reference DHCP client"
    assert node(name).sh("python3 -c 'import scapy.all, dns.resolver'").ok, "scapy and dnspython for scripting"
