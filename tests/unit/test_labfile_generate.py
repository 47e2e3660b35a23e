"""From a lab file to the files a lab runs on: compose.yaml, dhcp.toml, dns.toml
(lanlab/control/generate.py, lanlab/control/servers.py), and labs/default.yaml agreeing
with the hand-written compose.yaml, dhcp/dhcp.toml and dns/lab.toml (no Docker needed)."""
import ipaddress
import re
from pathlib import Path

import pytest
import yaml

from lanlab import contracts
from lanlab.control import generate, labfile, servers
from lanlab.dhcp import config as dhcp_config
from lanlab.nameserver import config as dns_config

ROOT = Path(__file__).resolve().parents[2]
ISSUE = (ROOT / "tests" / "labs" / "two-sites.yaml").read_text()


def rendered(text: str) -> dict:
    lab = labfile.loads(text, env={})
    return yaml.safe_load(generate.to_yaml(generate.render_lab(lab, servers.configs(lab))))


def env_of(service: dict) -> dict:
    return service.get("environment", {})


# --- labs/default.yaml is compose.yaml's lab ---------------------------------------------------

def with_defaults(text: str) -> str:
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", text)


def test_default_lab_file_is_compose_yaml():
    """compose.yaml stays written by hand (comments, anchors and the LANLAB_* prefix
    variables a generator would not write); this keeps it and labs/default.yaml equal
    in everything a lab is made of."""
    by_hand = yaml.safe_load(with_defaults((ROOT / "compose.yaml").read_text()))
    lab = labfile.load(ROOT / "labs" / "default.yaml", env={})
    made = rendered((ROOT / "labs" / "default.yaml").read_text().replace("${", "${X_UNSET_"))
    assert set(made["services"]) == set(by_hand["services"]), "the same containers"
    for name, service in by_hand["services"].items():
        ours = made["services"][name]
        assert set(ours["networks"]) == set(service["networks"]), f"{name} joins the same networks"
        for network, settings in service["networks"].items() if isinstance(service["networks"], dict) else ():
            if settings and "ipv4_address" in settings:
                assert ours["networks"][network]["ipv4_address"] == settings["ipv4_address"], \
                    f"{name} has the same address on {network}"
        for key in ("LANLAB_SUBNET", "LANLAB_ROLE"):
            assert env_of(ours).get(key) == env_of(service).get(key), f"{name}'s {key} is the same"
        assert ours["image"].split(":")[0] == service["image"].split(":")[0], f"{name} runs the same image"
        host = contracts.COMMANDS["host"]   # the image's CMD: compose.yaml's hosts give none
        assert ours["labels"] == service["labels"] and ours.get("command", host) == service.get("command", host), \
            f"{name} has the same role and runs the same program"
    for name, network in by_hand["networks"].items():
        ipam, ours = network["ipam"]["config"][0], made["networks"][name]["ipam"]["config"][0]
        assert ours["subnet"] == ipam["subnet"] and ours["gateway"] == ipam["gateway"], \
            f"{name}: same subnet, and this machine at the same address on the bridge"
    assert lab.name == "default", "labs/default.yaml's lab is the default lab (make up LAB=labs/default.yaml)"


def test_default_lab_file_gives_the_servers_the_same_configuration():
    lab = labfile.load(ROOT / "labs" / "default.yaml", env={})
    ours = dhcp_config.loads(servers.dhcp_toml(lab), {})
    theirs = dhcp_config.load(str(ROOT / "dhcp" / "dhcp.toml"), {})
    assert ours.subnets == theirs.subnets, "the same subnets, gateways and pools .100-.199"
    assert ours.reservations == theirs.reservations, "alice and carol keep their reservations"
    assert (ours.identifier, ours.dns_servers, ours.domain) == (theirs.identifier, theirs.dns_servers, theirs.domain)
    ours = dns_config.parse_config(servers.dns_toml(lab), {})
    theirs = dns_config.parse_config((ROOT / "dns" / "lab.toml").read_text(), {})
    assert {dns_config.reverse_zone(s.network) for s in ours.subnets} == \
        {dns_config.reverse_zone(s.network) for s in theirs.subnets}, "the same reverse zones"
    assert ours.ptr_targets() == theirs.ptr_targets(), "router-lan-a and the others answer the same PTRs"
    assert all(ours.fixed_names()[name] == addresses for name, addresses in theirs.fixed_names().items()), \
        "every fixed name of today's lab resolves as before"


# --- a lab file's compose file ---------------------------------------------------------------

def test_routers_get_their_routes_relay_and_masks():
    compose = rendered(ISSUE)
    r1, r2 = env_of(compose["services"]["r1"]), env_of(compose["services"]["r2"])
    assert r2["LANLAB_ROUTES"] == "172.25.7.0/25 via 172.25.255.1; 172.25.0.0/24 via 172.25.255.1", \
        "r2 learns the way to lan-a and svc from the file, through r1"
    assert r1["LANLAB_RELAY"] == "172.25.7.0/25" and r2["LANLAB_RELAY"] == "10.25.0.0/16", \
        "only a network's gateway relays DHCP for it"
    assert "172.25.255.2/30" in r2["LANLAB_ADDRESSES"], "the router sets the file's prefix length itself"


def test_a_full_slash_30_gets_a_wider_docker_network():
    net = rendered(ISSUE)["networks"]["core"]
    ipam = net["ipam"]["config"][0]
    assert ipam["subnet"] == "172.25.255.0/29" and ipam["gateway"] == "172.25.255.6", \
        "both addresses of the /30 are the routers': Docker's bridge address must lie outside it"
    assert net["labels"]["lanlab.subnet"] == "172.25.255.0/30", "the lab's own subnet is kept as a label"


def test_a_widened_network_may_not_take_another():
    text = ISSUE.replace("wire:  {subnet: 172.25.50.0/24}", "wire:  {subnet: 172.25.255.4/30}") \
        .replace("172.25.50.1/24", "172.25.255.5/30").replace("172.25.50.2/16", "172.25.255.6/30")
    lab = labfile.loads(text, "wide.yaml", env={})
    with pytest.raises(labfile.LabFileError) as caught:
        generate.render_lab(lab)
    assert str(caught.value).startswith("wide.yaml:") and "overlaps wire" in str(caught.value)


def test_hosts_wait_outside_the_pool_and_static_hosts_set_their_own_mask():
    compose = rendered(ISSUE)
    bob = ipaddress.ip_address(compose["services"]["bob"]["networks"]["lan-a"]["ipv4_address"])
    assert bob == ipaddress.ip_address("172.25.7.125"), \
        "bob waits for his lease at the top of the /25, below the bridge and outside the pool .50-.99"
    pc2 = env_of(compose["services"]["pc2"])
    assert pc2["LANLAB_STATIC"] == "172.25.50.2/16" and "LANLAB_GATEWAY" not in pc2, \
        "a static host keeps its (wrong) mask and, on a wire, has no gateway"
    assert env_of(compose["services"]["files"]).get("LANLAB_ROLE") == "files", "roles reach the host"


def test_server_configurations_load_in_the_servers_own_readers():
    lab = labfile.loads(ISSUE, env={})
    dhcp = dhcp_config.loads(servers.dhcp_toml(lab), {})
    lan_b = next(s for s in dhcp.subnets if s.name == "lan-b")
    assert str(lan_b.network) == "10.25.0.0/16" and str(lan_b.router) == "10.25.0.1", \
        "a /16 lease carries the /16 mask and r2 as router"
    assert "wire" not in {s.name for s in dhcp.subnets}, "DHCP does not serve a network with no router"
    dns = dns_config.parse_config(servers.dns_toml(lab), {})
    assert dns.fixed_names()["r2-core"] == (ipaddress.ip_address("172.25.255.2"),), "every interface has a name"
    assert dns.ptr_targets()[ipaddress.ip_address("172.25.7.1")] == "r1-lan-a", \
        "the PTR of an interface is its own name, so traceroute shows which one a packet crossed"


def test_nothing_is_written_when_the_lab_cannot_be_rendered(tmp_path):
    text = ISSUE.replace("wire:  {subnet: 172.25.50.0/24}", "wire:  {subnet: 172.25.255.4/30}") \
        .replace("172.25.50.1/24", "172.25.255.5/30").replace("172.25.50.2/16", "172.25.255.6/30")
    with pytest.raises(labfile.LabFileError):
        generate.write_labfile(labfile.loads(text, env={}), text, tmp_path / "lab")
    assert not (tmp_path / "lab").exists(), "no half-written lab directory"


def test_make_up_subnets_hosts_writes_a_lab_file(tmp_path):
    from lanlab import topology
    plan = topology.generated_plan(3, 2, "10.120")
    generate.write_lab(plan, tmp_path)
    lab = labfile.load(tmp_path / "lab.yaml", env={})
    assert [(n.name, n.subnet) for n in lab.networks] == [(s.name, s.network) for s in plan.subnets], \
        "the lab file holds the generated subnets"
    assert [(h.name, h.network, h.address) for h in lab.hosts] == \
        [(h.name, h.subnet, h.reserved) for h in plan.hosts], "and every host with its reservation"
    assert lab.router("router").address_on("lan-2") == plan.subnet("lan-2").router
