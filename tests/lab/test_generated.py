"""A generated lab (3 subnets x 3 hosts), started and removed by this module.

It has its own project (LANLAB_PROJECT-test3x3) and addresses (LANLAB_TEST_BASE, default
10.101), so it runs beside the default lab. Checked: every host reaches a host in every
other subnet through the router; every host holds a DHCP lease and its name resolves at
the lab's DNS server; a plan that collides with a running lab is refused before anything
starts; removal leaves nothing.
"""
from __future__ import annotations

import os

import pytest

from lanlab import topology
from lanlab.control.errors import LabError
from lanlab.control.engine import client
from lanlab.control.execute import exec_in
from lanlab.control.lab import Lab, project_name
from lanlab.control.watch import PROJECT_LABEL

SUBNETS, HOSTS = 3, 3
BASE = os.environ.get("LANLAB_TEST_BASE", "10.101")


@pytest.fixture(scope="module")
def generated():
    lab = Lab.generated(SUBNETS, HOSTS, BASE, project=f"{project_name()}-test{SUBNETS}x{HOSTS}")
    if lab.containers():
        lab.down()
    try:
        lab.up(remember=False)
    except LabError as error:
        lab.down()
        pytest.fail(f"the generated lab did not start: {error}", pytrace=False)
    yield lab
    lab.down()


def run(lab: Lab, service: str, script: str, timeout: float = 30):
    return exec_in(lab.container(service), ["sh", "-c", script], timeout=timeout)


NAMES = [h.name for h in topology.generated_plan(SUBNETS, HOSTS, BASE).hosts]


@pytest.mark.parametrize("name", NAMES)
def test_host_reaches_every_other_subnet_through_the_router(generated, name):
    plan = generated.plan
    me = plan.host(name)
    first_hop = plan.gateway_of(me)
    for subnet in plan.host_subnets:
        if subnet.name == me.subnet:
            continue
        target = next(h for h in plan.hosts if h.subnet == subnet.name)
        result = run(generated, name, f"traceroute -n -w 1 -q 1 -m 4 {target.reserved}")
        hops = [line.split()[1] for line in result.out.splitlines()[1:] if len(line.split()) > 1]
        assert result.ok and hops[:1] == [str(first_hop)], \
            f"{name} -> {target.name}: the first hop must be the router {first_hop}, " \
            f"or the lab is not routed through it\n{result.out}{result.err}"
        assert hops[-1] == str(target.reserved), \
            f"{name} must reach {target.name} ({target.reserved}) across the router\n{result.out}"


def test_every_host_holds_its_lease(generated):
    plan = generated.plan
    table = run(generated, "dhcp", "python3 -m lanlab.dhcp.leases /var/lib/lanlab/dhcp")
    assert table.ok, f"the DHCP server's lease table must be readable: {table.err}"
    rows = {tuple(line.split()[:2]): line for line in table.out.splitlines()[1:]}
    for host in plan.hosts:
        row = rows.get((str(host.reserved), host.name))
        assert row and "bound" in row, \
            f"{host.name} must hold a lease on its reserved address {host.reserved}:\n{table.out}"


def test_every_host_resolves_by_name_at_the_labs_dns(generated):
    plan = generated.plan
    names = " ".join(h.name for h in plan.hosts)
    for asker in (next(h for h in plan.hosts if h.subnet == s.name) for s in plan.host_subnets):
        conf = run(generated, asker.name, "cat /etc/resolv.conf").out
        assert f"nameserver {plan.dns}" in conf, \
            f"{asker.name}'s resolver must be the lab's DNS {plan.dns} (from DHCP):\n{conf}"
        script = f"for n in {names}; do echo $n $(dig +short +time=2 +tries=1 @{plan.dns} $n.{plan.domain} A); done"
        answers = dict(line.split()[:2] for line in run(generated, asker.name, script).out.splitlines()
                       if len(line.split()) >= 2)
        for host in plan.hosts:
            assert answers.get(host.name) == str(host.reserved), \
                f"{asker.name}: {host.name}.{plan.domain} must resolve to {host.reserved}, got {answers.get(host.name)}"


def test_a_plan_on_a_running_labs_addresses_is_refused_before_it_starts(generated):
    clash = Lab.generated(2, 2, BASE, project=f"{project_name()}-test-clash")
    with pytest.raises(LabError) as error:
        clash.up(remember=False)
    assert "overlaps" in str(error.value) and "\n" not in str(error.value), \
        "a colliding plan must be refused in one clear line"
    assert not clash.containers(), "nothing may start when the plan is refused"
    clash.down()


def test_down_leaves_nothing_behind(generated):
    generated.down()
    label = {"label": f"{PROJECT_LABEL}={generated.project}"}
    docker = client()
    assert not docker.containers.list(all=True, filters=label), "`make down` must remove every container"
    assert not docker.networks.list(filters=label), "`make down` must remove every network"
    assert not docker.volumes.list(filters=label), "`make down` must remove every volume"
    assert not generated.directory.exists(), "the generated files go with the lab"
