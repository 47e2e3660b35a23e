"""The contracts between processes (lanlab/contracts.py): each side agrees with the one
declaration, the shell scripts and the default files included. No Docker needed."""
import os
import re
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))
from dhcp_helpers import RELAY_A, request, small_config  # noqa: E402
from lanlab import contracts  # noqa: E402
from lanlab.control import watch  # noqa: E402
from lanlab.dhcp import codec  # noqa: E402
from lanlab.dhcp import config as dhcp_config  # noqa: E402
from lanlab.dhcp import ddns  # noqa: E402
from lanlab.dhcp.handler import Server  # noqa: E402
from lanlab.nameserver import config as dns_config  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("sent, label", [
    ("bob", "bob"), ("a_b", "a-b"), ("Alice", "alice"), ("bob.lab.internal", "bob"),
    ("-x_", "x"), ("___", ""), ("", ""), ("h" * 70, "h" * 63), ("été", "t"),
])
def test_a_host_name_becomes_a_dns_label(sent, label):
    assert contracts.host_label(sent) == label, "one rule turns any host name into a DNS label"
    assert label == "" or contracts.is_label(label), "what the rule makes is a label by its own test"


def test_the_dhcp_server_and_the_dns_update_name_a_host_alike():
    server = Server(small_config())
    outcome = server.handle_packet(request(codec.DISCOVER, 1, giaddr=RELAY_A, hostname="Web_1"), 0)
    assert "'Web_1' is not a DNS label: 'web-1' is used" in outcome.log, \
        "the server's log says which name a host gets when it sent one DNS refuses"
    assert str(ddns.host_name("Web_1", "lab.internal")) == "web-1.lab.internal.", \
        "the DNS update registers the very name the DHCP server logged"
    assert str(ddns.host_name("bob", "example.lab")) == "bob.example.lab.", \
        "the DNS update uses the configured domain"


def test_the_ready_line_is_what_the_control_looks_for():
    line = contracts.ready_line("alice", "0.42")
    assert line == "lanlab[alice]: ready in 0.42 s", "the documented form of the ready line"
    assert watch.log_says_ready(line.encode() + b"\n"), "the control must see the line the containers write"


def test_the_healthcheck_reads_the_ready_marker():
    script = (ROOT / "nodes/bin/lanlab-health").read_text()
    default = re.search(r'\$\{LANLAB_RUN:-([^}]+)\}/ready', script)
    assert default and os.path.join(default.group(1), "ready") == contracts.READY, \
        "the healthcheck must test the marker lanlab.host.ready writes"


def test_the_udhcpc_script_writes_the_files_the_host_reads():
    script = (ROOT / "nodes/udhcpc.script").read_text()
    run = re.search(r"^RUN=\$\{LANLAB_RUN:-([^}]+)\}", script, re.M)
    assert run and run.group(1) == contracts.RUN, "the script's run directory is the host's"
    assert '> "$RUN/lease"' in script and os.path.join(run.group(1), "lease") == contracts.LEASE, \
        "the script writes the lease file the host's start waits for"
    assert '"$RUN/keep"' in script and os.path.join(run.group(1), "keep") == contracts.KEEP, \
        "the script reads the keep file the host's start leaves"


def test_the_default_files_name_the_declared_domain_and_paths():
    dhcp = dhcp_config.load(str(ROOT / "dhcp/dhcp.toml"), env={})
    dns = dns_config.load_config(ROOT / "dns/lab.toml", env={})
    assert dhcp.domain == dns.domain == contracts.DOMAIN, \
        "hosts' search domain (DHCP option 15) must be the zone the DNS server serves"
    assert dhcp.lease_dir == contracts.LEASE_DIR and dhcp.ddns_key == dns.key == contracts.KEY_PATH, \
        "the DHCP server reads the key the DNS server makes, and keeps leases where `make leases` looks"
    assert dns.records == contracts.RECORDS_DIR and dns.port == contracts.DNS_PORT, \
        "the DNS server keeps zones in its volume and answers on the port hosts ask"


def test_compose_mounts_the_declared_volumes():
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    mounts = {volume.split(":")[1] for name in ("dhcp", "dns") for volume in services[name]["volumes"]}
    for path in (contracts.LEASE_DIR, contracts.RECORDS_DIR, os.path.dirname(contracts.KEY_PATH)):
        assert path in mounts, f"{path} must be a volume, or a restart loses what is kept there"
