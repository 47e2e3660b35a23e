"""Lab files (lanlab/control/labfile.py): the model, the derived facts, and one test per
refusal, each a single line naming the file and the line (no Docker needed)."""
import ipaddress
from pathlib import Path

import pytest

from lanlab.control import labfile

ROOT = Path(__file__).resolve().parents[2]

ISSUE = (ROOT / "tests" / "labs" / "two-sites.yaml").read_text()


def ip(text):
    return ipaddress.ip_address(text)


def test_the_issue_example_reads_into_the_model():
    lab = labfile.loads(ISSUE, "two-sites.yaml", env={})
    assert lab.name == "two-sites" and lab.routing == "static" and lab.domain == "lab.internal"
    assert [n.name for n in lab.networks] == ["lan-a", "lan-b", "core", "svc", "wire"], \
        "networks keep the file's order (the compose file and the docs follow it)"
    assert lab.network("lan-b").kind == "hub" and lab.network("lan-a").kind == "switch", \
        "kind defaults to switch"
    assert lab.router("r2").address_on("core") == ip("172.25.255.2")
    assert lab.host("alice").address == ip("172.25.7.20") and not lab.host("alice").static, \
        "an address without static is a DHCP reservation"
    assert str(lab.host("pc2").interface) == "172.25.50.2/16", \
        "a static host keeps the prefix length it was given, even a wrong one"
    link = lab.link("lan-b")
    assert (link.delay_ms, link.loss_percent, link.rate_bits) == (20.0, 1.0, 10_000_000), \
        "link conditions are parsed into numbers the link code can use"
    alice_line = next(i for i, line in enumerate(ISSUE.splitlines(), 1) if line.strip().startswith("alice:"))
    assert lab.host("alice").line == alice_line, "every part remembers its line, for later messages"


def test_static_routes_take_the_shortest_path():
    lab = labfile.loads(ISSUE, env={})
    assert [str(r) for r in lab.routes("r1")] == ["10.25.0.0/16 via 172.25.255.2"], \
        "r1 reaches lan-b through r2's core address; wire has no router and gets no route"
    assert [str(r) for r in lab.routes("r2")] == ["172.25.7.0/25 via 172.25.255.1",
                                                  "172.25.0.0/24 via 172.25.255.1"], \
        "r2 reaches lan-a and svc through r1"


def test_a_chain_of_three_routes_through_the_nearest_router():
    lab = labfile.loads("""\
name: chain
networks:
  a: {subnet: 10.25.1.0/24}
  ab: {subnet: 10.25.12.0/30}
  bc: {subnet: 10.25.23.0/30}
  c: {subnet: 10.25.3.0/24}
routers:
  r1: {a: 10.25.1.1, ab: 10.25.12.1}
  r2: {ab: 10.25.12.2, bc: 10.25.23.1}
  r3: {bc: 10.25.23.2, c: 10.25.3.1}
""", env={})
    assert [str(r) for r in lab.routes("r1")] == ["10.25.23.0/30 via 10.25.12.2", "10.25.3.0/24 via 10.25.12.2"], \
        "two hops away, the first hop is still r2"
    assert {str(r) for r in lab.routes("r3")} == {"10.25.1.0/24 via 10.25.23.1", "10.25.12.0/30 via 10.25.23.1"}


def test_pool_rule_follows_the_subnet_size():
    pool = lambda text: tuple(map(str, labfile.derived_pool(ipaddress.ip_network(text)) or ()))
    assert pool("172.25.7.0/24") == ("172.25.7.100", "172.25.7.199"), "a /24 keeps today's .100-.199"
    assert pool("172.25.7.0/25") == ("172.25.7.50", "172.25.7.99"), "a /25: the same fractions of 128"
    assert pool("10.25.0.0/16") == ("10.25.100.0", "10.25.199.255"), "a /16: .100.0-.199.255"
    assert pool("10.25.0.0/29") == ("10.25.0.4", "10.25.0.5"), "never the bridge's last usable address"
    assert pool("10.25.0.0/30") == (), "a /30 has no room for a pool"


def test_pools_go_only_where_hosts_ask():
    lab = labfile.loads(ISSUE, env={})
    assert lab.pool("lan-a") == (ip("172.25.7.50"), ip("172.25.7.99")), "bob asks: derived pool"
    assert lab.pool("svc") == (ip("172.25.0.100"), ip("172.25.0.150")), "a written pool is kept"
    assert lab.pool("core") is None and lab.pool("wire") is None, \
        "no host asks on core, and DHCP does not reach wire"
    assert lab.relayed_networks("r1") == ("lan-a",) and lab.relayed_networks("r2") == ("lan-b",), \
        "each router relays only the networks it is the gateway of, where hosts ask"


def test_gateway_chooses_among_routers():
    text = ISSUE.replace("core:  {subnet: 172.25.255.0/30}", "core:  {subnet: 172.25.255.0/30, gateway: r2}")
    lab = labfile.loads(text, env={})
    assert lab.gateway("core").name == "r2", "`gateway:` says which router hosts use"
    assert labfile.loads(ISSUE, env={}).gateway("core").name == "r1", "else the router written first"


def test_interface_names_for_dns():
    lab = labfile.loads(ISSUE, env={})
    assert lab.interface_names()["r2-core"] == ip("172.25.255.2"), "every router interface gets a name"


def test_variables_are_taken_from_the_environment():
    lab = labfile.load(ROOT / "labs" / "default.yaml", env={"LANLAB_LAN_A": "172.25.7"})
    assert str(lab.network("lan-a").subnet) == "172.25.7.0/24" and lab.host("alice").address == ip("172.25.7.20"), \
        "labs/default.yaml moves with LANLAB_LAN_A as compose.yaml does"
    assert str(lab.network("svc").subnet) == "10.0.0.0/24", "an unset variable takes its default"


# --- one test per refusal -------------------------------------------------------------------

def refusal(text: str) -> str:
    with pytest.raises(labfile.LabFileError) as caught:
        labfile.loads(text, "bad.yaml", env={})
    message = str(caught.value)
    assert "\n" not in message, "an error is one line"
    assert message.startswith("bad.yaml:"), "an error names the file"
    return message


REFUSALS = [  # a file, the line its error names, what the error says
    pytest.param("name: x\nnetworks:\n  a: {subnet: 10.25.0.0/24\nhosts: {}\n",
                 4, ["not valid YAML"], id="yaml_syntax"),
    pytest.param("name: x\nnetworks:\n  a: {subnet: 10.25.0.0/24, gatway: r1}\n",
                 3, ["'gatway'", "did you mean 'gateway'"], id="unknown_key_with_the_nearest_known_one"),
    pytest.param("name: x\nnetwork:\n  a: {subnet: 10.25.0.0/24}\n",
                 2, ["did you mean 'networks'"], id="unknown_top_level_key"),
    pytest.param("name: x\nnetworks:\n  a: {subnet: 10.25.0.0/16}\n  b: {subnet: 10.25.7.0/24}\n",
                 4, ["overlaps a 10.25.0.0/16 (line 3)"], id="overlapping_subnets"),
    pytest.param("name: x\nnetworks:\n  a: {subnet: 10.25.0.0/25}\nrouters:\n  r1: {a: 10.25.0.200}\n",
                 5, ["outside a 10.25.0.0/25"], id="address_outside_its_subnet"),
    pytest.param("name: x\nnetworks:\n  a: {subnet: 10.25.0.0/24}\nrouters:\n  r1: {a: 10.25.0.1}\n"
                 "dhcp: {network: a, address: 10.25.0.2}\nhosts:\n  h: {network: a, address: 10.25.0.1}\n",
                 8, ["given twice", "r1"], id="address_given_twice"),
    pytest.param("name: x\nnetworks:\n  a: {subnet: 10.25.0.0/24}\nhosts:\n  Bob_1: {network: a, address: 10.25.0.5/24, static: true}\n",
                 5, ["not a DNS label"], id="name_not_a_dns_label"),
    pytest.param("name: x\nnetworks:\n  a: {subnet: 10.25.0.0/24}\nrouters:\n  pc: {a: 10.25.0.1}\n"
                 "hosts:\n  pc: {network: a, address: 10.25.0.5/24, static: true}\n",
                 7, ["used twice (also on line 5)"], id="name_used_twice"),
    pytest.param("name: x\nnetworks:\n  wire: {subnet: 10.25.50.0/24}\nhosts:\n  pc1: {network: wire}\n",
                 5, ["no address", "static: true"], id="host_with_no_router_and_no_dhcp_must_be_static"),
    pytest.param("name: x\nnetworks:\n  a: {subnet: 10.25.1.0/24}\n  b: {subnet: 10.25.2.0/24}\n"
                 "routers:\n  r1: {a: 10.25.1.1}\n  r2: {b: 10.25.2.1}\n",
                 4, ["cannot be reached"], id="subnet_the_routers_cannot_reach"),
    pytest.param("name: x\nnetworks:\n  lan-a: {subnet: 10.25.0.0/24}\nrouters:\n  r1: {lan-b: 10.25.0.1}\n",
                 5, ["did you mean 'lan-a'"], id="a_reference_to_no_network"),
    pytest.param("name: x\nnetworks:\n  a: {subnet: 10.25.0.0/24}\nrouters:\n  r1: {a: 10.25.0.1}\n"
                 "dhcp: {network: a, address: 10.25.0.150}\nhosts:\n  h: {network: a}\n",
                 6, ["inside a's DHCP pool"], id="a_fixed_address_inside_the_pool"),
    pytest.param("name: x\nnetworks:\n  a: {subnet: 10.25.0.0/24}\nrouters:\n  r1: {a: 10.25.0.1}\n"
                 "dhcp: {network: a, address: 10.25.0.2}\nhosts:\n  h: {network: a, address: 10.25.0.9/24}\n",
                 8, ["static"], id="a_prefix_length_on_a_host_that_is_not_static"),
    pytest.param("name: x\nnetworks:\n  a: {subnet: 10.25.0.0/24}\n"
                 "dhcp: {network: a, address: 10.25.0.2}\nhosts:\n  h: {network: a}\n",
                 6, ["no router to be its gateway"], id="a_leasing_host_needs_a_router_on_its_network"),
]


@pytest.mark.parametrize("text, line, fragments", REFUSALS)
def test_refusal_names_the_line_and_what_is_wrong(text, line, fragments):
    message = refusal(text)
    assert message.startswith(f"bad.yaml:{line}:") and all(f in message for f in fragments), message


def test_subnet_that_overlaps_a_route_of_this_machine():
    lab = labfile.loads("name: x\nnetworks:\n  a: {subnet: 172.17.5.0/24}\n", "bad.yaml", env={})
    with pytest.raises(labfile.LabFileError) as caught:
        labfile.check_routes(lab, [ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("172.17.0.0/16")])
    assert str(caught.value).startswith("bad.yaml:3:") and "172.17.0.0/16" in str(caught.value), \
        "a lab on Docker's own bridge network would hide it: refused before anything starts"
    assert labfile.check_routes(lab, [ipaddress.ip_network("0.0.0.0/0")]) is lab, \
        "the default route is everywhere and does not count"


def test_more_networks_on_one_router_than_docker_allows():
    count = labfile.MAX_NETWORKS_PER_ROUTER + 1
    nets = "".join(f"  n{i}: {{subnet: 10.25.{i}.0/24}}\n" for i in range(count))
    joins = ", ".join(f"n{i}: 10.25.{i}.1" for i in range(count))
    message = refusal(f"name: x\nnetworks:\n{nets}routers:\n  big: {{{joins}}}\n")
    assert message.startswith(f"bad.yaml:{count + 4}:") and "at most" in message, message


def test_an_unreadable_file():
    with pytest.raises(labfile.LabFileError) as caught:
        labfile.load("/nonexistent/lab.yaml")
    assert "/nonexistent/lab.yaml" in str(caught.value) and "LAB=" in str(caught.value)


def test_the_example_in_docs_labs_md_is_a_valid_lab_file():
    import re
    text = (ROOT / "docs" / "labs.md").read_text()
    example = re.search(r"## The format\n\n```yaml\n(.*?)```", text, re.S).group(1)
    lab = labfile.loads(example, "docs/labs.md", env={})
    assert lab.name == "two-sites" and len(lab.routers) == 2, "the documented format is the one read"
