"""A lab host's one process, from its start to its end: the DHCP boot, the host's
programs, its ready marker, and its DHCP client kept running.

    python3 -S -m lanlab.host.program          (nodes/entrypoint.py; PYTHONPATH names lanlab)

A lab runs one of these per host, all starting at once, and then idle: so the process is
small at both. `-S` skips site; the boot (lanlab/host/dhcp_client.py) uses only os, socket,
fcntl and struct (the interface is found by ioctl, programs are started by posix_spawn);
the programs add threading and the chat listener (its CPU and memory: docs/benchmarks.md).

Once the programs listen and the lab's DNS server answers the host's name with its
address (lanlab/host/selfname.py), the host says ready; then it waits on udhcpc and starts it
again, a second later, whenever it exits, asking for the same address and keeping it
meanwhile (lanlab.host.dhcp_client.again_argv).
"""
import os
import sys
import time

from lanlab.host import selfname
from lanlab.host import programs
from lanlab.host import ready
from lanlab.host import dhcp_client as client

NAME_PAUSES = (0.02, 0.2)  # between DNS questions: first, and at most (200 hosts: 1,000 a second)


def keep_running(pid: int, argv: list[str], pause: float = 1.0) -> None:
    """Wait on udhcpc forever; start it again (after `pause` seconds) if it exits."""
    while True:
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            status = None  # not our child any more (it cannot happen, but never spin)
        code = os.waitstatus_to_exitcode(status) if status is not None else "gone"
        ready.log(f"udhcpc exited ({code}); starting it again")
        time.sleep(pause)
        pid = client.start_again(argv)


def wait_for_own_name(hostname: str, resolv_conf: str = "/etc/resolv.conf") -> bool:
    """Until the lab's DNS server answers this host's name with its leased address
    (lanlab/host/selfname.py); a line every 10 s says what is awaited. The server is on
    another subnet, so its answer also shows that the router forwards for this host.
    False, at once, if the lease named no DNS server or domain."""
    address = client.held_address()
    try:
        with open(resolv_conf) as conf:
            server, domain = selfname.resolver(conf.read())
    except OSError:
        server = domain = None
    if address is None or not server or not domain:
        return False
    name = f"{hostname}.{domain}"
    began = time.monotonic()
    next_line, pause = began + 10, NAME_PAUSES[0]
    while not selfname.resolves(name, address, server, wait=0.25):
        if time.monotonic() >= next_line:
            ready.log(f"waiting: {name} does not resolve to {address} at {server} yet "
                      "(the DHCP server registers it; see `make logs`: dhcp, dns)")
            next_line += 10
        time.sleep(pause)
        pause = min(NAME_PAUSES[1], pause * 2)
    took = time.monotonic() - began
    if took > 0.05:
        ready.log(f"{name} resolves to {address} (after {took:.2f} s)")
    return True


def static_start(address: str, env=os.environ) -> None:
    """A static host (a lab file's `static: true`): its address with the prefix length
    written, right or wrong (the mask lesson), no DHCP; the default route through its
    network's gateway if it has one, else none (the lab stays closed); resolv.conf from
    LANLAB_DNS ("SERVER DOMAIN"), written in place (Docker bind-mounts it)."""
    from lanlab.host import node
    node.set_addresses(address)
    node.drop_default_route()
    if env.get("LANLAB_GATEWAY"):
        node.set_default_route(env["LANLAB_GATEWAY"])
    server, _, domain = env.get("LANLAB_DNS", "").partition(" ")
    if server:
        with open("/etc/resolv.conf", "w") as conf:
            conf.write(f"search {domain}\nnameserver {server}\n")
    ready.log(f"static {address}, default via {env.get('LANLAB_GATEWAY') or 'none'}")


def main() -> int:
    started = time.monotonic()
    ready.clear_ready()
    if os.environ.get("LANLAB_STATIC"):
        static_start(os.environ["LANLAB_STATIC"])
        programs.start()
        ready.mark_ready(started)
        while True:
            time.sleep(3600)
    subnet = os.environ.get("LANLAB_SUBNET")
    if not subnet:
        ready.log("error: LANLAB_SUBNET is not set (compose.yaml gives every host its subnet)")
        return 1
    try:
        pid, argv = client.boot(subnet, ready.node_name())
    except client.BootError as error:
        ready.log(f"error: {error}")
        return 1
    programs.start()
    if not wait_for_own_name(ready.node_name()):
        ready.log("the lease names no DNS server or domain: pinging the router instead")
        try:
            client.reach_router()
        except client.BootError as error:
            ready.log(f"error: {error}")
            return 1
    ready.mark_ready(started)
    keep_running(pid, argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
