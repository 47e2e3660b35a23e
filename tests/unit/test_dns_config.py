"""The DNS configuration: the default file, its ${VAR:-default}s, and render_config(plan)."""
import ipaddress
from pathlib import Path

import dns.name
import dns.rdatatype
import pytest

from lanlab import topology
from lanlab.nameserver.config import ConfigError, parse_config, render_config, reverse_zone
from lanlab.nameserver.zones import build_zones

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = (ROOT / "dns/lab.toml").read_text()


def origins(config) -> set[str]:
    return {zone.origin.to_text() for zone in build_zones(config)}


def test_default_file_serves_the_issue_zones():
    config = parse_config(DEFAULT, env={})
    assert origins(config) == {"lab.internal.", "7.168.192.in-addr.arpa.", "13.168.192.in-addr.arpa.",
                               "0.0.10.in-addr.arpa."}, "issue 4 names these four zones"
    assert config.fixed_names()["dns"] == (ipaddress.IPv4Address("10.0.0.3"),), "dns is 10.0.0.3 on svc"


def test_zones_move_with_the_lab_variables():
    env = {"LANLAB_LAN_A": "172.32.7", "LANLAB_LAN_B": "172.32.13", "LANLAB_SVC": "10.32.0"}
    config = parse_config(DEFAULT, env=env)
    assert origins(config) == {"lab.internal.", "7.32.172.in-addr.arpa.", "13.32.172.in-addr.arpa.",
                               "0.32.10.in-addr.arpa."}, "a lab on other prefixes needs its own reverse zones"
    assert str(config.fixed_names()["dhcp"][0]) == "10.32.0.2"


def test_render_config_matches_the_default_file_for_the_default_plan():
    rendered = parse_config(render_config(topology.default_plan({})), env={})
    assert rendered == parse_config(DEFAULT, env={}), "one format: the rendered file says what dns/lab.toml says"


def test_render_config_for_many_subnets():
    subnets = tuple(topology.Subnet(f"lan-{i}", ipaddress.ip_network(f"10.{i}.5.0/24")) for i in range(1, 21))
    svc = topology.Subnet("svc", ipaddress.ip_network("10.200.0.0/24"))
    plan = topology.Plan(subnets=(*subnets, svc), hosts=())
    config = parse_config(render_config(plan), env={})
    assert len(config.subnets) == 21 and len(origins(config)) == 22, "one reverse zone per subnet, plus the domain"
    zones = build_zones(config)
    ptr = zones.find(dns.name.from_text("1.5.7.10.in-addr.arpa."))
    rrset = ptr.get(dns.name.from_text("1.5.7.10.in-addr.arpa."), dns.rdatatype.PTR)
    assert rrset[0].target.to_text() == "router-lan-7.lab.internal.", "every router interface has its PTR"
    assert "$" not in render_config(plan), "a rendered file holds addresses, not variables"


def test_reverse_zone_names_follow_the_octets():
    assert reverse_zone(ipaddress.ip_network("192.168.7.0/24")) == "7.168.192.in-addr.arpa"
    assert reverse_zone(ipaddress.ip_network("10.0.0.0/8")) == "10.in-addr.arpa"
    assert reverse_zone(ipaddress.ip_network("172.25.7.0/25")) == "7.25.172.in-addr.arpa", \
        "a /25 lives in the zone of the /24 around it (no RFC 2317 delegation inside one server)"
    assert reverse_zone(ipaddress.ip_network("10.25.16.0/20")) == "25.10.in-addr.arpa", \
        "a /20 fixes two octets: the /16's zone"


@pytest.mark.parametrize("text,fragment", [
    ('domain = "lab.internal"\nnameserver = "dns"\n[hosts]\ndns = "10.0.0.3"\n', "no [[subnet]]"),
    (DEFAULT.replace("${LANLAB_LAN_A:-192.168.7}.0/24", "192.0.0.0/7", 1), "wider than /8"),
    (DEFAULT.replace('dns = "${LANLAB_SVC:-10.0.0}.3"', 'ns1 = "10.0.0.3"'), "nameserver"),
    (DEFAULT.replace('dhcp = ', 'bad_name = '), "not a host name"),
    (DEFAULT.replace("${LANLAB_SVC:-10.0.0}.2", "${LANLAB_NOT_SET}.2"), "LANLAB_NOT_SET"),
    ("domain = [", "not valid TOML"),
    (DEFAULT.replace("${LANLAB_SVC:-10.0.0}.2", "10.0.0.300"), "bad or missing"),
])
def test_bad_configurations_are_one_clear_line(text, fragment):
    with pytest.raises(ConfigError) as error:
        parse_config(text, env={}, source="test.toml")
    message = str(error.value)
    assert fragment in message and "\n" not in message, f"the error must say what is wrong: {message}"
