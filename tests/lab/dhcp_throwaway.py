"""Throwaway containers for the DHCP lab tests: the lab's node image, started with
`docker run` on one of the lab's networks (found by its Compose labels), removed after."""
from __future__ import annotations

import docker
import docker.errors
import requests

from lanlab.control.engine import client
from lanlab.control.execute import Output
from lanlab.control.watch import PROJECT_LABEL

NETWORK_LABEL = "com.docker.compose.network"
THROWAWAY_LABEL = "lanlab.throwaway"


def lab_network(lab, name: str):
    networks = client().networks.list(filters={"label": [f"{PROJECT_LABEL}={lab.project}", f"{NETWORK_LABEL}={name}"]})
    assert networks, f"the lab {lab.project!r} has no network {name!r}"
    return networks[0]


def node_image(lab) -> str:
    return lab.container("bob").image.id


def start(lab, network: str, script: str, hostname: str | None = None):
    """Start `sh -c script` in a new container on the lab's `network`; `finish` it."""
    return client().containers.run(
        node_image(lab), ["sh", "-c", script], detach=True, network=lab_network(lab, network).name,
        cap_add=["NET_ADMIN", "NET_RAW"], labels={THROWAWAY_LABEL: lab.project}, hostname=hostname,
        init=True)


def finish(container, timeout: float = 90) -> Output:
    """Wait for a started throwaway to end (killed after `timeout`); its output, then gone."""
    try:
        try:
            code = container.wait(timeout=timeout)["StatusCode"]
        except (requests.exceptions.ConnectionError, requests.exceptions.ReadTimeout):
            container.kill()
            code = -1
        out = container.logs(stdout=True, stderr=False).decode(errors="replace")
        err = container.logs(stdout=False, stderr=True).decode(errors="replace")
        return Output(code, out, err)
    finally:
        try:
            container.remove(force=True)
        except docker.errors.NotFound:
            pass


def run(lab, network: str, script: str, timeout: float = 90, hostname: str | None = None) -> Output:
    """Run `sh -c script` in a new container on the lab's `network`; its output, then gone."""
    return finish(start(lab, network, script, hostname), timeout)


def interface_lookup() -> str:
    """Shell: the name of the one lab interface in a throwaway (found, not assumed)."""
    return "IF=$(ip -o link show | awk -F': ' '$2 != \"lo\" {print $2}' | cut -d@ -f1 | head -1)"


UDHCPC_SCRIPT = """
cat > /tmp/event <<'EOF'
#!/bin/sh
# print the lease, and take it as a real host would (so that a RELEASE can be sent from it)
if [ "$1" = bound ]; then
    echo "bound ip=$ip mask=$mask subnet=$subnet router=$router dns=$dns domain=$domain lease=$lease serverid=$serverid"
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/$mask" dev "$interface"
    ip route replace default via "${router%% *}"
    touch /tmp/bound
fi
[ "$1" = deconfig ] && touch /tmp/deconfig
exit 0
EOF
chmod +x /tmp/event
"""

DHCLIENT_SCRIPT = """
cat > /tmp/event <<'EOF'
#!/bin/sh
[ "$reason" = BOUND ] && echo "bound ip=$new_ip_address subnet=$new_subnet_mask router=$new_routers dns=$new_domain_name_servers domain=$new_domain_name lease=$new_dhcp_lease_time serverid=$new_dhcp_server_identifier"
exit 0
EOF
chmod +x /tmp/event
"""


def udhcpc(extra: str = "", tries: int = 20) -> str:
    """busybox udhcpc: one lease, then exit. The lease stays (busybox 1.35 sends no RELEASE
    with -q); a throwaway's MAC, and so its client id, is the same every time, so it gets
    the same address back and the pool does not fill up."""
    return (UDHCPC_SCRIPT + interface_lookup() + "\n"
            f"busybox udhcpc -f -q -n -T 1 -t {tries} -i $IF -s /tmp/event {extra} 2>&1")


RELEASE = "/tmp/release"


def udhcpc_until_released(extra: str) -> str:
    """busybox udhcpc: a lease, held until the test creates RELEASE in the throwaway
    (at most a minute), then released: SIGUSR2 sends a RELEASE, then udhcpc runs its
    script with `deconfig`, and only then is it ended."""
    return (UDHCPC_SCRIPT + interface_lookup() + "\n"
            f"busybox udhcpc -f -T 1 -t 20 -i $IF -s /tmp/event {extra} 2>&1 &\n"
            f"for i in $(seq 600); do [ -e {RELEASE} ] && break; sleep 0.1; done\n"
            "rm -f /tmp/deconfig; kill -USR2 $!\n"
            "for i in $(seq 100); do [ -e /tmp/deconfig ] && break; sleep 0.1; done; kill $!")


def dhclient() -> str:
    """ISC dhclient: one lease (-1), then release it (-r)."""
    return (DHCLIENT_SCRIPT + interface_lookup() + "\n"
            "timeout 60 dhclient -1 -v -sf /tmp/event -lf /tmp/leases -pf /tmp/pid $IF 2>&1; echo rc=$?\n"
            "dhclient -r -sf /tmp/event -lf /tmp/leases -pf /tmp/pid $IF 2>&1")


def bound_fields(output: str) -> dict[str, str]:
    """key=value pairs of the script's 'bound' line, or {} if the client got no lease."""
    for line in output.splitlines():
        if line.startswith("bound "):
            return dict(item.split("=", 1) for item in line.split()[1:] if "=" in item)
    return {}
