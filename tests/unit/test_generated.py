"""Generated labs: the plan for N subnets x M hosts, its refusals, and the compose file
written for it (no Docker needed)."""
import ipaddress
import json

import pytest
import yaml

from lanlab import topology
from lanlab.control import generate
from lanlab.dhcp import config as dhcp_config
from lanlab.nameserver import config as dns_config


def test_plan_shape_is_the_documented_one():
    plan = topology.generated_plan(10, 10, "10.100")
    assert len(plan.hosts) == 100 and len(plan.host_subnets) == 10, "N subnets of M hosts, nothing more"
    assert str(plan.svc.network) == "10.100.0.0/24" and str(plan.dns) == "10.100.0.3", \
        "dhcp and dns keep their numbers on the service subnet"
    h = plan.host("h3-7")
    assert h.subnet == "lan-3" and str(h.reserved) == "10.100.3.17", \
        "the name says where a host is: h3-7 is host 7 of lan-3, at .17"
    assert str(plan.gateway_of(h)) == "10.100.3.1", "the router stays every host's gateway at .1"


def test_names_are_unique_dns_labels():
    plan = topology.generated_plan(12, 11)
    names = [h.name for h in plan.hosts]
    assert len(set(names)) == len(names), "every host must be resolvable by a name of its own"
    label = __import__("re").compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
    assert all(label.match(n) for n in names), "host names must be valid DNS labels and service names"


def test_host_addresses_stay_out_of_the_pool_and_dockers_range():
    plan = topology.generated_plan(3, topology.MAX_HOSTS)
    for host in plan.hosts:
        subnet = plan.subnet(host.subnet)
        first, last = subnet.pool
        assert not first <= host.reserved <= last, \
            f"{host.name} {host.reserved} would take an address the DHCP pool hands to visitors"
        assert host.reserved not in subnet.docker_range, \
            f"{host.name} {host.reserved} could be given by Docker to another container"
        assert host.reserved not in (subnet.router, subnet.bridge), f"{host.name} must not take .1 or .254"


@pytest.mark.parametrize("subnets,hosts,base,fragment", [
    (0, 5, "10.100", "SUBNETS=0"),
    (topology.MAX_SUBNETS + 1, 5, "10.100", "SUBNETS="),
    (3, 0, "10.100", "HOSTS=0"),
    (3, topology.MAX_HOSTS + 1, "10.100", "below the DHCP pool"),
    (3, 3, "10.100.1", "two octets"),
    (3, 3, "10.300", "two octets"),
    (3, 3, "8.8", "not private"),
    (3, 3, "172.34", "not private"),
])
def test_plans_that_do_not_fit_are_refused_in_one_line(subnets, hosts, base, fragment):
    with pytest.raises(topology.PlanError) as error:
        topology.generated_plan(subnets, hosts, base)
    message = str(error.value)
    assert fragment in message and "\n" not in message, \
        f"a plan that cannot work is refused before anything starts, in one clear line: {message!r}"


def test_overlapping_subnets_are_refused():
    a = topology.Subnet("lan-1", ipaddress.ip_network("10.100.1.0/24"))
    b = topology.Subnet("lan-2", ipaddress.ip_network("10.100.0.0/16"))
    with pytest.raises(topology.PlanError, match="overlap"):
        topology.check_plan(topology.Plan((a, b), ()))


def test_two_hosts_cannot_share_a_reservation():
    net = topology.Subnet("svc", ipaddress.ip_network("10.100.0.0/24"))
    hosts = (topology.Host("a", "svc", net.host(20)), topology.Host("b", "svc", net.host(20)))
    with pytest.raises(topology.PlanError, match="already a's"):
        topology.check_plan(topology.Plan((net,), hosts))


def test_a_subnet_on_a_route_of_this_machine_is_refused():
    plan = topology.generated_plan(5, 2, "10.100")
    routes = ["0.0.0.0/0", "172.17.0.0/16", "192.0.2.0/24", "10.100.4.0/24"]
    with pytest.raises(topology.PlanError) as error:
        topology.check_routes(plan, routes)
    assert "lan-4 10.100.4.0/24 overlaps 10.100.4.0/24" in str(error.value), \
        "the line must name the subnet and the route it collides with"
    assert topology.check_routes(plan, routes[:3]) is plan, \
        "the default route and unrelated networks are not collisions"


def test_a_whole_base_under_a_host_route_is_refused():
    plan = topology.generated_plan(2, 2, "172.17")
    assert topology.route_collisions([(s.name, s.network) for s in plan.subnets], ["172.17.0.0/16"]), \
        "Docker's own bridge network must not be reused by a lab"


def test_plan_file_round_trip_and_current_plan(tmp_path):
    plan = topology.generated_plan(4, 3, "10.120")
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(topology.plan_to_dict(plan)))
    assert topology.current_plan({topology.PLAN_VAR: str(path)}) == plan, \
        "containers of a generated lab must see exactly the plan the generator used"
    assert topology.current_plan({}) == topology.default_plan({}), \
        "without LANLAB_PLAN a container is in the default lab"


# --- the compose file ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def compose():
    plan = topology.generated_plan(3, 4, "10.120")
    text = generate.to_yaml(generate.render_compose(plan, {}))
    return plan, yaml.safe_load(text)


def test_every_host_is_a_service_on_its_subnet_at_its_address(compose):
    plan, data = compose
    services = data["services"]
    for host in plan.hosts:
        service = services[host.name]
        assert service["networks"] == {host.subnet: {"ipv4_address": str(host.reserved)}}, \
            f"{host.name} must sit on {host.subnet} at its reserved address"
        assert service["environment"]["LANLAB_NODE"] == host.name and \
            service["environment"]["LANLAB_SUBNET"] == str(plan.subnet(host.subnet).network), \
            "the node entrypoint finds its interface and gateway from these"
        assert service["labels"] == {"lanlab.role": "host"} and service["depends_on"] == ["router"], \
            "hosts run the lab image as hosts and start after the router they wait for"
        assert "NET_ADMIN" in service["cap_add"], "a host replaces its default route itself"
        assert "SYS_PTRACE" in service["cap_add"], \
            "a trace with SERVER= attaches strace to a server it did not start"


def test_router_joins_every_subnet_at_dot_one(compose):
    plan, data = compose
    router = data["services"]["router"]
    assert router["networks"] == {s.name: {"ipv4_address": str(s.router)} for s in plan.subnets}, \
        "the router is the only path between subnets"
    assert router["sysctls"]["net.ipv4.ip_forward"] == "1", "a router that does not forward joins nothing"


def test_dhcp_and_dns_are_the_default_labs_services_moved(compose):
    plan, data = compose
    for name, address in (("dhcp", plan.dhcp), ("dns", plan.dns)):
        service = data["services"][name]
        assert service["extends"] == {"file": "../../compose.yaml", "service": name}, \
            "dhcp and dns must be the same services as in the default lab"
        assert service["networks"] == {"svc": {"ipv4_address": str(address)}}, \
            f"{name} keeps its number on the generated service subnet"
        assert service["environment"]["LANLAB_SUBNET"] == str(plan.svc.network), \
            f"{name} finds its interface and gateway by this subnet"


def test_networks_keep_the_default_labs_rules(compose):
    plan, data = compose
    for subnet in plan.subnets:
        net = data["networks"][subnet.name]
        assert net["ipam"]["config"] == [{"subnet": str(subnet.network), "gateway": str(subnet.bridge),
                                          "ip_range": str(subnet.docker_range)}], \
            "the bridge's own address must not be .1, and Docker hands out only .224/28"
        assert net["driver_opts"]["com.docker.network.bridge.enable_ip_masquerade"] == "false", \
            "nothing may masquerade out of the lab"
    assert set(data["volumes"]) == set(generate.default_volumes()) >= {"dhcp-leases", "tsig"}, \
        "the extended services mount compose.yaml's named volumes; they must be declared"


def test_every_container_gets_the_ready_directory_and_the_services_the_plan(compose):
    plan, data = compose
    mount = f"./plan.json:{generate.CONFIG_DIR}/plan.json:ro"
    hosts = {host.name for host in plan.hosts}
    for name, service in data["services"].items():
        assert "./ready:/run/lanlab-ready" in service["volumes"] and \
            service["environment"]["LANLAB_READY_DIR"] == "/run/lanlab-ready", \
            f"{name} must be able to say it is ready without a docker exec"
        if name in hosts:
            assert mount not in service.get("volumes", []), \
                f"{name}: no host reads the plan, and every bind mount costs Docker at each of 200 starts"
            continue
        assert mount in service.get("volumes", []), f"{name} must be able to read the lab's plan"
        assert service["environment"][topology.PLAN_VAR] == f"{generate.CONFIG_DIR}/plan.json", \
            f"{name}: topology.current_plan() finds the plan through LANLAB_PLAN"


def test_health_interval_bounds_the_exec_rate():
    assert generate.health_interval(7) == generate.HEALTH_INTERVAL_LIMITS[0], "a small lab is still checked often"
    assert generate.health_interval(203) / 203 <= 1 / generate.HEALTH_EXECS_PER_SECOND + 0.01, \
        "200 hosts must not cost more healthcheck execs a second than the budget"
    assert generate.health_interval(100_000) == generate.HEALTH_INTERVAL_LIMITS[1], \
        "a huge lab is still checked now and then"


def test_floor_has_the_same_containers_and_addresses_but_only_sleeps():
    plan = topology.default_plan({})
    data = yaml.safe_load(generate.to_yaml(generate.render_floor(plan)))
    services = data["services"]
    assert set(services) == {"router", "dhcp", "dns", "alice", "bob", "carol", "files"}, \
        "the floor must start the same seven containers as the default lab"
    assert services["alice"]["networks"] == {"lan-a": {"ipv4_address": "192.168.7.20"}}, \
        "same network, same address: the floor differs from the lab only in what runs"
    assert services["bob"]["networks"] == {"lan-a": {}}, "bob takes whatever Docker gives, as in the lab"
    assert all(s["command"] == ["sleep", "infinity"] and "healthcheck" not in s for s in services.values()), \
        "the floor runs nothing but sleep"


def test_yaml_writer_output_is_plain_and_exact():
    text = generate.to_yaml({"x-a": generate.Anchor("a", {"init": True, "n": 3}),
                             "services": {"h1-1": {"<<": generate.Merge("a"), "cmd": ["a b", "c"],
                                                   "env": {"K": 'quote " and: colon'}},
                                          "empty": {}},
                             "list": [{"subnet": "10.0.0.0/24", "gateway": "10.0.0.254"}]})
    assert text == (
        "x-a: &a\n  init: true\n  n: 3\n"
        "services:\n  h1-1:\n    <<: *a\n    cmd: [\"a b\", \"c\"]\n    env:\n      K: \"quote \\\" and: colon\"\n"
        "  empty: {}\n"
        "list:\n  - subnet: \"10.0.0.0/24\"\n    gateway: \"10.0.0.254\"\n"), text
    data = yaml.safe_load(text)
    assert data["services"]["h1-1"]["init"] is True and data["services"]["h1-1"]["env"]["K"] == 'quote " and: colon', \
        "merge keys and quoting must survive a real YAML parser"


# --- the hook for the DHCP and DNS servers' own configuration ------------------------------

def test_server_configs_are_written_for_the_plan(tmp_path):
    plan = topology.generated_plan(2, 3, "10.120")
    path = generate.write_lab(plan, tmp_path / "lab")
    assert (tmp_path / "lab" / "dhcp.toml").read_text() == dhcp_config.render_toml(plan), \
        "the DHCP server must get pools and reservations rendered for this plan"
    assert (tmp_path / "lab" / "dns.toml").read_text() == dns_config.render_config(plan), \
        "the DNS server must get the zones rendered for this plan"
    data = yaml.safe_load(path.read_text())
    dhcp_service = data["services"]["dhcp"]
    assert dhcp_service["environment"]["LANLAB_DHCP_CONFIG"] == "/etc/lanlab/dhcp.toml", \
        "the DHCP server reads its configuration from the file this variable names"
    assert "./dhcp.toml:/etc/lanlab/dhcp.toml:ro" in dhcp_service["volumes"], \
        "the server reads the file at the path its variable names"
    assert data["services"]["dns"]["environment"]["LANLAB_DNS_CONFIG"] == "/etc/lanlab/dns.toml", \
        "the DNS server reads its zones from the file this variable names"
    assert (tmp_path / "lab" / ".env").read_text() == "LANLAB_SVC=10.120.0\n", \
        "running docker-compose by hand on the file must resolve compose.yaml's variables"
