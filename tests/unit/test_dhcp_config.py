"""dhcp/dhcp.toml: it moves with the lab's prefixes, matches render_toml for the default
plan, and bad files fail with one line naming the problem."""
from pathlib import Path

import pytest

from lanlab import topology
from lanlab.dhcp import config

ROOT = Path(__file__).resolve().parents[2]
FILE = ROOT / "dhcp" / "dhcp.toml"
MOVED = {"LANLAB_LAN_A": "172.31.7", "LANLAB_LAN_B": "172.31.13", "LANLAB_SVC": "10.31.0"}


def test_the_default_file_gives_the_issues_numbers():
    c = config.load(str(FILE), {})
    pools = {s.name: (str(s.pool[0]), str(s.pool[1])) for s in c.subnets if s.pool}
    assert pools == {"lan-a": ("192.168.7.100", "192.168.7.199"), "lan-b": ("192.168.13.100", "192.168.13.199")}, \
        "the pools are .100-.199 of lan-a and lan-b"
    assert {r.hostname: str(r.address) for r in c.reservations} == {"alice": "192.168.7.20", "carol": "192.168.13.18"}, \
        "alice and carol are reserved their addresses"
    assert str(c.identifier) == "10.0.0.2" and [str(a) for a in c.dns_servers] == ["10.0.0.3"], \
        "the server is 10.0.0.2 and hands out the DNS server 10.0.0.3"
    assert c.domain == "lab.internal" and c.lease_time == 3600, "domain lab.internal, one-hour leases"


def test_the_file_moves_with_the_lab_prefixes():
    c = config.load(str(FILE), MOVED)
    assert str(c.subnets[0].pool[0]) == "172.31.7.100" and str(c.identifier) == "10.31.0.2", \
        "LANLAB_LAN_A and LANLAB_SVC move pools and addresses as they move compose.yaml"


@pytest.mark.parametrize("env", [{}, MOVED])
def test_render_toml_of_the_default_plan_matches_the_file(env):
    rendered = config.loads(config.render_toml(topology.default_plan(env)), {})
    written = config.load(str(FILE), env)
    assert rendered.subnets == written.subnets, "a generated lab's file describes the same subnets"
    assert rendered.reservations == written.reservations, "and the same reservations"
    assert (rendered.identifier, rendered.dns_servers, rendered.domain) == \
        (written.identifier, written.dns_servers, written.domain), "and the same server and options"


def test_render_toml_for_many_subnets():
    subnets = tuple(topology.Subnet(f"lan-{i}", topology.prefix_network(f"10.50.{i}", "x")) for i in range(6))
    svc = topology.Subnet("svc", topology.prefix_network("10.49.0", "svc"))
    hosts = (topology.Host("h1", "lan-3", subnets[3].host(30)),)
    plan = topology.Plan(subnets=subnets + (svc,), hosts=hosts)
    c = config.loads(config.render_toml(plan), {})
    assert len([s for s in c.subnets if s.pool]) == 6, "every host subnet gets a pool"
    assert str(c.reservations[0].address) == "10.50.3.30", "reservations come from Host.reserved"


@pytest.mark.parametrize("text,why", [
    ('[server]\nidentifier = "${NOPE}"\n', "NOPE"),
    ('[server]\nidentifier = "10.0.0.2"\n', "no \\[\\[subnet\\]\\]"),
    ('[server]\nidentifier = "10.0.0.300"\n[[subnet]]\nnetwork="10.0.0.0/24"\n', "not an IPv4 address"),
    ('[server]\nidentifier = "10.0.0.2"\n[[subnet]]\nname="a"\nnetwork="10.0.0.0/24"\n'
     '[[subnet]]\nname="b"\nnetwork="10.0.0.0/16"\n', "overlap"),
    ('[server]\nidentifier = "10.0.0.2"\n[[subnet]]\nname="a"\nnetwork="10.0.0.0/24"\n'
     'pool=["10.0.0.100","10.0.1.5"]\n', "not a range"),
    ('[server]\nidentifier = "10.0.0.2"\nlease_time = 5\n[[subnet]]\nnetwork="10.0.0.0/24"\n', "lease_time"),
    ("[server\n", "dhcp.toml"),
])
def test_bad_files_fail_with_one_line(text, why):
    with pytest.raises(config.ConfigError, match=why) as error:
        config.loads(text, {})
    assert "\n" not in str(error.value), "a configuration error is one line"
