"""Write a generated lab: its compose file and the configuration its containers read.

`make up SUBNETS=N HOSTS=M` writes everything under build/<project>/ and never touches
compose.yaml:

    compose.yaml   router, dhcp, dns and the hosts h1-1 .. hN-M (lanlab/topology.py)
    plan.json      the address plan, mounted read-only into router, dhcp and dns (not
                   the hosts, which do not read it: a mount costs every container start)
                   (LANLAB_PLAN=/etc/lanlab/plan.json; topology.current_plan() reads it)
    ready/         mounted into every container (LANLAB_READY_DIR): each leaves a file
                   named after itself when ready (lanlab.host.ready.mark_ready)

Every container also mounts the learner's workspace, work/ at the project's root, at
/work (work_volume(), the one place a lab's compose file gets it; compose.yaml's x-work
says the same and a unit test holds them equal).
    .env           LANLAB_SVC for anyone who runs docker-compose on this file by hand
    lab.yaml       the same lab as a lab file (docs/labs.md): copy it, edit it, and start
                   it with `make up LAB=path`
    dhcp.toml      from lanlab.dhcp.config.render_toml: the DHCP server's pools and
                   reservations for this plan (LANLAB_DHCP_CONFIG=/etc/lanlab/dhcp.toml)
    dns.toml       from lanlab.nameserver.config.render_config: the DNS server's zones
                   (LANLAB_DNS_CONFIG=/etc/lanlab/dns.toml)

dhcp and dns `extends` compose.yaml's services of the same name, so whatever the default
lab gives them (image, volumes, environment, healthcheck) a generated lab gives them too;
only their address, subnet and configuration files are set here. The router and the hosts
are written out, because their networks differ from the default lab's. Every container
sets itself up in its own start (nodes/entrypoint.py, router/entrypoint.py); nothing is
configured from outside.

Healthchecks: a host's Docker healthcheck is a `docker exec` of lanlab-health (a Python
start and a ping). At a 1 s interval 200 hosts would cost 200 execs a second on two
cores, so generated hosts are checked every few tens of seconds (HEALTH_EXECS_PER_SECOND
for the whole lab) and readiness is read from the ready/ directory instead
(lanlab/control/watch.py): fast to notice, one directory listing for the whole lab.
"""
from __future__ import annotations

import ipaddress
import json
import math
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from lanlab import contracts, topology
from lanlab.dhcp import config as dhcp_config
from lanlab.nameserver import config as dns_config
from lanlab.router import ospf
from lanlab.control import servers
from lanlab.control.compose import ROOT
from lanlab.control.labfile import LabFileError, bridge_address, fixed_addresses
from lanlab.control.servers import CONFIG_DIR, ServiceConfig

BUILD = ROOT / "build"
PLAN_FILE = "plan.json"
READY_DIR = "ready"          # build/<project>/ready: each container's ready marker (lanlab.host.node)
READY_MOUNT = "/run/lanlab-ready"  # where containers see it (LANLAB_READY_DIR)
READY_VOLUME = f"./{READY_DIR}:{READY_MOUNT}"
WORK_DIR = ROOT / "work"     # the learner's workspace (lanlab/lessons), made by `make up`
WORK_MOUNT = "/work"
UNPRIVILEGED_PORT_START = {"net.ipv4.ip_unprivileged_port_start": "1024"}
HEALTH_EXECS_PER_SECOND = 2.0
HEALTH_INTERVAL_LIMITS = (5, 120)
NET_OPTIONS = {"com.docker.network.bridge.enable_ip_masquerade": "false",
               "com.docker.network.bridge.enable_icc": "true"}


# --- a small YAML writer: compose files are read by people, so not JSON ----------------

@dataclass(frozen=True)
class Anchor:
    """A mapping written once as `&name`, merged elsewhere with `<<: *name`."""
    name: str
    value: dict


@dataclass(frozen=True)
class Merge:
    name: str


PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-/]*$")


def scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(str(value))


def key_text(key: str) -> str:
    return key if PLAIN.match(key) else json.dumps(key)


def to_yaml(data: dict, indent: int = 0) -> str:
    return "".join(line + "\n" for line in yaml_lines(data, indent))


def yaml_lines(data: dict, indent: int) -> list[str]:
    pad, lines = " " * indent, []
    for key, value in data.items():
        if isinstance(value, Merge):
            lines.append(f"{pad}<<: *{value.name}")
        elif isinstance(value, Anchor):
            lines += [f"{pad}{key_text(key)}: &{value.name}", *yaml_lines(value.value, indent + 2)]
        elif isinstance(value, dict):
            lines += [f"{pad}{key_text(key)}:", *yaml_lines(value, indent + 2)] if value \
                else [f"{pad}{key_text(key)}: {{}}"]
        elif isinstance(value, (list, tuple)):
            lines += list_lines(key, value, pad, indent)
        else:
            lines.append(f"{pad}{key_text(key)}: {scalar(value)}")
    return lines


def list_lines(key: str, items, pad: str, indent: int) -> list[str]:
    if all(not isinstance(item, dict) for item in items):
        return [f"{pad}{key_text(key)}: [{', '.join(scalar(i) for i in items)}]"]
    lines = [f"{pad}{key_text(key)}:"]
    for item in items:
        inner = yaml_lines(item, indent + 4)
        lines += [f"{pad}  - {inner[0].lstrip()}", *inner[1:]]
    return lines


# --- the compose file -------------------------------------------------------------------

def health_interval(containers: int) -> int:
    """Seconds between healthchecks so the whole lab costs about
    HEALTH_EXECS_PER_SECOND execs a second, within HEALTH_INTERVAL_LIMITS."""
    low, high = HEALTH_INTERVAL_LIMITS
    return max(low, min(high, math.ceil(containers / HEALTH_EXECS_PER_SECOND)))


def network(subnet: topology.Subnet) -> dict:
    return {"driver": "bridge", "driver_opts": dict(NET_OPTIONS),
            "ipam": {"config": [{"subnet": str(subnet.network), "gateway": str(subnet.bridge),
                                 "ip_range": str(subnet.docker_range)}]}}


def work_volume(directory: Path) -> str:
    """The workspace's bind mount as a compose file in `directory` writes it (a path, so
    starting with a dot: a bare `work` would be a named volume)."""
    path = os.path.relpath(WORK_DIR, directory)
    return f"{path if path.startswith('.') else './' + path}:{WORK_MOUNT}"


def plan_mount() -> dict:
    """The plan (read-only) and the shared ready directory, for every container."""
    return {"volumes": [f"./{PLAN_FILE}:{CONFIG_DIR}/{PLAN_FILE}:ro",
                        READY_VOLUME],
            "environment": {topology.PLAN_VAR: f"{CONFIG_DIR}/{PLAN_FILE}",
                            "LANLAB_READY_DIR": READY_MOUNT}}


# SYS_PTRACE: `make trace ... CALLS=1 SERVER=node:port` attaches strace to a server (docs/design.md).
NODE_CAPS = ("NET_ADMIN", "NET_RAW", "SYS_PTRACE")


def runs(role: str) -> dict:
    """The lab image in a role: its label and its program (lanlab/contracts.py)."""
    return {"image": f"{contracts.IMAGE}:${{LANLAB_TAG:-latest}}", "labels": {contracts.ROLE_LABEL: role},
            "command": list(contracts.COMMANDS[role])}


def node_common(interval: int) -> dict:
    return {"init": True, "cap_add": list(NODE_CAPS), "stop_grace_period": "2s",
            "restart": "no", "sysctls": dict(UNPRIVILEGED_PORT_START),
            "healthcheck": {"test": ["CMD", "lanlab-health"], "interval": f"{interval}s",
                            "timeout": "3s", "retries": 3, "start_period": "30s"}}


def router_service(plan: topology.Plan, work: str) -> dict:
    mount = plan_mount()
    return {"<<": Merge("node"), **runs("router"), "hostname": "router",
            "healthcheck": {"test": ["CMD", "lanlab-health"], "interval": "2s", "timeout": "3s",
                            "retries": 3, "start_period": "30s"},
            "sysctls": {"net.ipv4.ip_forward": "1", "net.ipv4.conf.all.rp_filter": "0",
                        "net.ipv4.conf.default.rp_filter": "0", **UNPRIVILEGED_PORT_START},
            "environment": {"LANLAB_NODE": "router", "LANLAB_DHCP_SERVER": str(plan.dhcp),
                            **mount["environment"]},
            "volumes": [*mount["volumes"], work],
            "networks": {s.name: {"ipv4_address": str(s.router)} for s in plan.subnets}}


def service_from_default(name: str, address, plan: topology.Plan, configs: dict,
                         default_file: str) -> dict:
    """dhcp or dns as compose.yaml defines it, moved to this plan's service subnet."""
    mount = plan_mount()
    environment = {"LANLAB_SUBNET": str(plan.svc.network), **mount["environment"]}
    volumes = list(mount["volumes"])
    for config in configs.values():
        if config.service == name:
            environment[config.variable] = config.path
            volumes.append(f"./{config.filename}:{config.path}:ro")
    return {"extends": {"file": default_file, "service": name},
            "environment": environment, "volumes": volumes,
            "networks": {plan.service_subnet: {"ipv4_address": str(address)}}}


def host_service(host: topology.Host, plan: topology.Plan) -> dict:
    subnet = plan.subnet(host.subnet)
    return {"<<": Merge("host"), "hostname": host.name,
            "environment": {"LANLAB_NODE": host.name, "LANLAB_SUBNET": str(subnet.network),
                            "LANLAB_READY_DIR": READY_MOUNT},
            "networks": {subnet.name: {"ipv4_address": str(host.reserved)}}}


def render_compose(plan: topology.Plan, configs: dict | None = None,
                   default_file: str = "../../compose.yaml", work: str = "../../work:/work") -> dict:
    interval = health_interval(len(plan.hosts) + len(topology.SERVICES))
    # Hosts get the ready directory and the workspace only: nothing in a host reads the
    # plan, and each bind mount is work for Docker at every one of 200 container starts.
    host = {"<<": Merge("node"), **runs("host"),
            "volumes": [READY_VOLUME, work], "depends_on": ["router"]}
    services = {"router": router_service(plan, work),
                "dhcp": service_from_default("dhcp", plan.dhcp, plan, configs or {}, default_file),
                "dns": service_from_default("dns", plan.dns, plan, configs or {}, default_file)}
    services.update({h.name: host_service(h, plan) for h in plan.hosts})
    return {"x-node": Anchor("node", node_common(interval)), "x-host": Anchor("host", host),
            "services": services,
            "networks": {s.name: network(s) for s in plan.subnets},
            "volumes": {name: {} for name in default_volumes()}}


def render_floor(plan: topology.Plan, image: str = "lanlab-base:latest") -> dict:
    """The floor a lab is measured against: the same containers on the same networks
    with the same addresses, running nothing but sleep."""
    def sleeper(networks: dict) -> dict:
        return {"<<": Merge("sleeper"), "networks": networks}
    services = {"router": sleeper({s.name: {"ipv4_address": str(s.router)} for s in plan.subnets}),
                "dhcp": sleeper({plan.service_subnet: {"ipv4_address": str(plan.dhcp)}}),
                "dns": sleeper({plan.service_subnet: {"ipv4_address": str(plan.dns)}})}
    for host in plan.hosts:
        address = {"ipv4_address": str(host.reserved)} if host.reserved else {}
        services[host.name] = sleeper({host.subnet: address})
    common = {"image": image, "init": True, "command": ["sleep", "infinity"]}
    return {"x-sleeper": Anchor("sleeper", common), "services": services,
            "networks": {s.name: network(s) for s in plan.subnets}}


def default_volumes() -> tuple[str, ...]:
    """The named volumes compose.yaml declares (dhcp and dns, extended, mount them)."""
    text = (ROOT / "compose.yaml").read_text()
    section = re.search(r"^volumes:\n((?:[ \t]+.*\n|\n)*)", text, re.M)
    if not section:
        return ()
    return tuple(re.findall(r"^  ([A-Za-z0-9_.-]+):", section.group(1), re.M))


# --- the configuration the servers read (written only once their code exists) ----------

def service_configs(plan: topology.Plan) -> dict[str, ServiceConfig]:
    """The DHCP and DNS servers' files for this plan, from their own renderers."""
    return {
        "dhcp": ServiceConfig("dhcp", "dhcp.toml", "LANLAB_DHCP_CONFIG", dhcp_config.render_toml(plan)),
        "dns": ServiceConfig("dns", "dns.toml", "LANLAB_DNS_CONFIG", dns_config.render_config(plan)),
    }


def write_lab(plan: topology.Plan, directory: Path) -> Path:
    """Write the compose file and everything it mounts; return the compose file."""
    directory.mkdir(parents=True, exist_ok=True)
    ready = directory / READY_DIR
    if ready.exists():
        shutil.rmtree(ready)
    ready.mkdir()
    configs = service_configs(plan)
    for config in configs.values():
        (directory / config.filename).write_text(config.text)
    (directory / PLAN_FILE).write_text(json.dumps(topology.plan_to_dict(plan), indent=1) + "\n")
    (directory / LAB_FILE).write_text(plan_as_labfile(plan))
    (directory / ".env").write_text(f"LANLAB_SVC={plan.svc.prefix}\n")
    header = (f"# Generated by `make up` ({lab_title(plan)}); edits are overwritten.\n"
              "# lanlab/control/generate.py explains every part. The default lab is ../../compose.yaml.\n")
    default_file = os.path.relpath(ROOT / "compose.yaml", directory)
    path = directory / "compose.yaml"
    compose = render_compose(plan, configs, default_file, work_volume(directory))
    path.write_text(header + to_yaml(compose))
    return path


def write_floor(plan: topology.Plan, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "compose.yaml"
    path.write_text("# The floor: the same containers and networks, running only sleep.\n"
                    + to_yaml(render_floor(plan)))
    return path


def lab_title(plan: topology.Plan) -> str:
    extra = plan.extra
    if extra.get("kind") == "generated":
        return f"{extra['subnets']} subnets x {extra['hosts']} hosts in {extra['base']}.0.0/16"
    return f"{len(plan.host_subnets)} subnets, {len(plan.hosts)} hosts"


# --- lab files (lanlab/control/labfile.py) ---------------------------------------------------
#
# `make up LAB=path` writes build/<project>/: compose.yaml, lab.yaml (the file as read),
# dhcp.toml and dns.toml (lanlab/control/servers.py), ready/. Every container gets an
# explicit address: routers and servers theirs, hosts their reservation or static address,
# other DHCP hosts an address Docker holds until the lease replaces it, taken from the top
# of the subnet below the bridge and outside the pool. A network too small to leave this
# machine an address of its own (a /30 whose two addresses are the routers') is made a
# wider Docker network; the containers then set the file's prefix length themselves.

LAB_FILE = "lab.yaml"


def docker_subnet(lab, network) -> ipaddress.IPv4Network:
    """The subnet Docker is given for `network`: its own, or the smallest wider one whose
    last usable address (this machine's on the bridge) no one in the file holds."""
    taken = file_addresses(lab)
    subnet = network.subnet
    while bridge_address(subnet) in taken or subnet.num_addresses < 4:
        subnet = subnet.supernet()
    return subnet


def file_addresses(lab) -> set:
    return {address for address, *_ in fixed_addresses(lab)}


def docker_subnets(lab) -> dict:
    """network name -> Docker's subnet; a widened one must not take another network's."""
    subnets = {n.name: docker_subnet(lab, n) for n in lab.networks}
    for network in lab.networks:
        wide = subnets[network.name]
        for other in lab.networks:
            if other.name != network.name and wide != network.subnet and wide.overlaps(other.subnet):
                raise LabFileError(
                    f"{lab.path}:{network.line}: {network.name} {network.subnet} leaves no address for "
                    f"this machine's bridge, and the wider {wide} Docker needs overlaps {other.name}; "
                    "move one of them")
    return subnets


def waiting_addresses(lab, network, subnet) -> dict:
    """host name -> the address Docker gives a DHCP host with no reservation until its
    lease replaces it: from the top of the subnet down, skipping the bridge, the pool and
    every address in the file."""
    taken = file_addresses(lab) | {bridge_address(subnet)}
    pool = lab.pool(network.name)
    waiting = [h for h in lab.hosts_on(network.name) if h.address is None]
    chosen, candidate = {}, bridge_address(subnet) - 1
    for host in waiting:
        while candidate > subnet.network_address and (
                candidate in taken or (pool and pool[0] <= candidate <= pool[1])):
            candidate -= 1
        if candidate <= subnet.network_address:
            raise LabFileError(f"{lab.path}:{host.line}: {network.name} {network.subnet} has no address "
                               f"left for {host.name} to wait in before its lease; use a larger subnet")
        chosen[host.name] = candidate
        candidate -= 1
    return chosen


def lab_network(lab, network, subnet) -> dict:
    return {"driver": "bridge", "driver_opts": dict(NET_OPTIONS),
            "labels": {"lanlab.kind": network.kind, "lanlab.subnet": str(network.subnet)},
            "ipam": {"config": [{"subnet": str(subnet), "gateway": str(bridge_address(subnet))}]}}


def ready_environment(name: str) -> dict:
    return {"LANLAB_NODE": name, contracts.READY_DIR_VARIABLE: READY_MOUNT}


def lab_router(lab, router, work: str) -> dict:
    environment = {**ready_environment(router.name), "LANLAB_KIND": "router",
                   "LANLAB_ADDRESSES": " ".join(
                       f"{i.address}/{lab.network(i.network).subnet.prefixlen}" for i in router.interfaces)}
    relayed = lab.relayed_networks(router.name)
    if relayed:
        environment["LANLAB_DHCP_SERVER"] = str(lab.dhcp.address)
        environment["LANLAB_RELAY"] = " ".join(str(lab.network(n).subnet) for n in relayed)
    volumes, caps = [READY_VOLUME, work], {}
    if lab.routing == "static":
        environment["LANLAB_ROUTES"] = "; ".join(str(route) for route in lab.routes(router.name))
    else:   # FRR's ospfd (lanlab/router/ospf.py) needs SYS_ADMIN besides the node's caps
        environment["LANLAB_FRR_CONF"] = FRR_MOUNT
        environment[ospf.NEIGHBOURS_VARIABLE] = str(ospf.neighbours(lab, router.name))
        volumes.append(f"./{frr_file(router.name)}:{FRR_MOUNT}:ro")
        caps = {"cap_add": [*NODE_CAPS, "SYS_ADMIN"]}
    return {"<<": Merge("node"), **runs("router"), "hostname": router.name, **caps,
            "sysctls": {"net.ipv4.ip_forward": "1", "net.ipv4.conf.all.rp_filter": "0",
                        "net.ipv4.conf.default.rp_filter": "0", **UNPRIVILEGED_PORT_START},
            "environment": environment, "volumes": volumes,
            "networks": {i.network: {"ipv4_address": str(i.address)} for i in router.interfaces}}


FRR_MOUNT = "/etc/lanlab/frr.conf"


def frr_file(router: str) -> str:
    return f"frr-{router}.conf"


def lab_server(lab, server, config: ServiceConfig | None, work: str) -> dict:
    """dhcp or dns, as compose.yaml has them, on the lab file's network and address."""
    subnet = lab.network(server.network).subnet
    environment = {**ready_environment(server.name), "LANLAB_SUBNET": str(subnet)}
    gateway = lab.gateway_address(server.network)
    environment["LANLAB_GATEWAY"] = str(gateway) if gateway is not None else "none"
    state = f"dhcp-leases:{contracts.LEASE_DIR}" if server.name == "dhcp" else f"dns-records:{contracts.RECORDS_DIR}"
    volumes = [READY_VOLUME, work, state, f"tsig:{os.path.dirname(contracts.KEY_PATH)}"]
    if config is not None:
        environment[config.variable] = config.path
        volumes.append(f"./{config.filename}:{config.path}:ro")
    return {"<<": Merge("node"), **runs(server.name),
            "hostname": server.name, "environment": environment, "volumes": volumes,
            "networks": {server.network: {"ipv4_address": str(server.address)}}}


def lab_host(lab, host, waiting: dict, work: str) -> dict:
    subnet = lab.network(host.network).subnet
    environment = {**ready_environment(host.name), "LANLAB_SUBNET": str(subnet)}
    if host.role:
        environment["LANLAB_ROLE"] = host.role
    if host.static:
        environment["LANLAB_STATIC"] = str(host.interface)
        gateway = lab.gateway_address(host.network)
        if gateway is not None:
            environment["LANLAB_GATEWAY"] = str(gateway)
        if lab.dns is not None:
            environment["LANLAB_DNS"] = f"{lab.dns.address} {lab.domain}"
    address = host.address or waiting[host.name]
    return {"<<": Merge("node"), **runs("host"), "hostname": host.name,
            "environment": environment, "volumes": [READY_VOLUME, work],
            "networks": {host.network: {"ipv4_address": str(address)}}}


def render_lab(lab, configs: dict | None = None, work: str = "../../work:/work") -> dict:
    """The compose file of a lab file (a plain dict; to_yaml writes it). `work`: the
    learner's workspace mount (work_volume() of the compose file's folder). No depends_on:
    every container starts at once and a host waits for its DHCP path itself
    (lanlab/dhcp/probe.py); with the routers first, compose began the rest seconds later."""
    configs = configs or {}
    subnets = docker_subnets(lab)
    waiting = {}
    for network in lab.networks:
        waiting.update(waiting_addresses(lab, network, subnets[network.name]))
    containers = len(lab.routers) + len(lab.servers()) + len(lab.hosts)
    services = {r.name: lab_router(lab, r, work) for r in lab.routers}
    services.update({s.name: lab_server(lab, s, configs.get(s.name), work) for s in lab.servers()})
    services.update({h.name: lab_host(lab, h, waiting, work) for h in lab.hosts})
    volumes = {"tsig": {}, "dhcp-leases": {}, "dns-records": {}} if lab.servers() else {}
    return {"x-node": Anchor("node", node_common(health_interval(containers))),
            "services": services,
            "networks": {n.name: lab_network(lab, n, subnets[n.name]) for n in lab.networks},
            **({"volumes": volumes} if volumes else {})}


def write_labfile(lab, text: str, directory: Path) -> Path:
    """Write a lab file's compose file and everything it mounts; return the compose file.
    Nothing is written if the lab cannot be rendered (the error says why)."""
    configs = servers.configs(lab)
    compose = to_yaml(render_lab(lab, configs, work_volume(directory)))
    directory.mkdir(parents=True, exist_ok=True)
    ready = directory / READY_DIR
    if ready.exists():
        shutil.rmtree(ready)
    ready.mkdir()
    for config in configs.values():
        (directory / config.filename).write_text(config.text)
    if lab.routing == "ospf":
        for router in lab.routers:
            (directory / frr_file(router.name)).write_text(ospf.config(lab, router.name))
    (directory / LAB_FILE).write_text(text)
    path = directory / "compose.yaml"
    path.write_text(f"# Generated by `make up LAB={lab.path}`; edits are overwritten.\n"
                    "# lanlab/control/generate.py explains every part; docs/labs.md the lab file.\n"
                    + compose)
    return path


def plan_as_labfile(plan: topology.Plan) -> str:
    """A generated plan written as a lab file (lanlab/control/labfile.py reads it back
    to the same networks, router, servers and hosts)."""
    lines = [f"# {lab_title(plan)}, as a lab file: copy it, edit it, `make up LAB=path` (docs/labs.md).",
             f"name: {plan.extra.get('subnets', len(plan.host_subnets))}x{plan.extra.get('hosts', len(plan.hosts))}",
             f"domain: {plan.domain}", "routing: static", "networks:"]
    lines += [f"  {s.name}: {{subnet: {s.network}}}" for s in plan.subnets]
    lines += ["routers:", "  router: {" + ", ".join(f"{s.name}: {s.router}" for s in plan.subnets) + "}"]
    lines += [f"dhcp: {{network: {plan.service_subnet}, address: {plan.dhcp}}}",
              f"dns: {{network: {plan.service_subnet}, address: {plan.dns}}}", "hosts:"]
    for host in plan.hosts:
        address = f", address: {host.reserved}" if host.reserved else ""
        role = f", role: {host.role}" if host.role != "host" else ""
        lines.append(f"  {host.name}: {{network: {host.subnet}{address}{role}}}")
    return "\n".join(lines) + "\n"
