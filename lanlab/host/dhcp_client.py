"""A lab host's address by DHCP, at every container start: busybox udhcpc.

Why udhcpc and not a client of our own: it is a real client no one here wrote (so every
host's boot is itself a check of the server and relay), it is in the base image, it
renews and rebinds on its own, and its script hook (nodes/udhcpc.script) lets the host
rewrite /etc/resolv.conf in place. Started with:

    -x hostname:NAME          option 12: reservations and DNS names go by host name
    -x 0x3d:00<NAME>          option 61: a client id from the host name, so a restarted
                              host gets its address back even if Docker changed its MAC
    -T 1 -t 100000 -A 1       a DISCOVER at once, then one a second while no server
                              answers (the server may still be starting): no backoff

Before udhcpc starts, the host waits (at most PATH_WAIT) until the relay and the server
listen (lanlab/dhcp/probe.py): a DISCOVER sent into a lab still starting would be lost,
and udhcpc's next one comes a second or two later. A host that started long before its
router (Compose starts a lab's routers last: they join the most networks) starts udhcpc
after PATH_WAIT all the same, goes on probing, and when a probe is answered starts udhcpc
again, which sends its first DISCOVER at once (busybox 1.35's udhcpc, sent SIGUSR1 while
it looks for a server, was seen to wait a whole second before its next one).

The host is ready once the script has written the lease and the router forwards for it
(the lab's DNS server answers the host's name through it, or the router answers a ping);
udhcpc keeps running, renewing at T1 and rebinding at T2, and lanlab.host.program starts it
again if it ever exits.

Every host of a lab runs this at once, so it is written to cost little: only os, socket,
fcntl and struct (no ipaddress, json or subprocess; the interface is found by ioctl, not
by running `ip`), inside the host's one lean process (lanlab/host/program.py).
"""
import fcntl
import os
import signal
import socket
import struct
import time

from lanlab import contracts
from lanlab.contracts import client_id_for
from lanlab.dhcp import probe
from lanlab.host.ready import log as say, wait_for

LEASE = contracts.LEASE
KEEP = contracts.KEEP
SCRIPT = "/opt/lanlab/nodes/udhcpc.script"
PATH_WAIT = 10.0  # seconds a host waits for the relay and the server before it asks anyway
SIOCGIFADDR = 0x8915


class BootError(RuntimeError):
    """A step of the host's start that failed; the message says what to do."""


# --- addresses as integers (no I/O) -------------------------------------------------------

def to_int(address: str) -> int:
    return int.from_bytes(socket.inet_aton(address), "big")


def to_text(number: int) -> str:
    return socket.inet_ntoa(number.to_bytes(4, "big"))


def netmask(length: int) -> int:
    return (0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF


def parse_subnet(text: str) -> tuple[int, int]:
    """"192.168.7.0/24" -> (network as an integer, prefix length)."""
    try:
        address, prefix = text.split("/")
        length = int(prefix)
        if not 0 <= length <= 32:
            raise ValueError
        return to_int(address) & netmask(length), length
    except (ValueError, OSError):
        raise BootError(f"LANLAB_SUBNET={text!r} is not an IPv4 subnet like 192.168.7.0/24") from None


def inside(address: int, network: int, length: int) -> bool:
    return address & netmask(length) == network


def broadcast(network: int, length: int) -> str:
    return to_text(network | (0xFFFFFFFF >> length))


def udhcpc_argv(interface: str, hostname: str, script: str = SCRIPT) -> list[str]:
    return ["busybox", "udhcpc", "-f", "-i", interface, "-s", script,
            "-T", "1", "-t", "100000", "-A", "1",
            "-x", f"hostname:{hostname}", "-x", f"0x3d:{client_id_for(hostname).hex()}"]


def again_argv(argv: list[str]) -> list[str]:
    """udhcpc's argv to start it again after it died: if a lease is held, ask for that
    address (-r) and leave KEEP, so the script's first deconfig keeps the address."""
    address = held_address()
    if address is None:
        return argv
    with open(KEEP, "w"):
        pass
    return argv + ["-r", address]


def start_again(argv: list[str]) -> int:
    """Start udhcpc again after the last one ended (again_argv); its pid."""
    again = again_argv(argv)
    return os.posix_spawnp(again[0], again, os.environ)


def parse_lease(text: str) -> tuple[str, str] | None:
    """("192.168.7.20/24", "192.168.7.1") from what nodes/udhcpc.script writes, or None."""
    fields = text.split()
    if len(fields) < 2 or "/" not in fields[0]:
        return None
    return fields[0], fields[1]


# --- the host's own interfaces and processes ------------------------------------------------

def interface_addresses() -> dict[str, int]:
    """Every interface's IPv4 address (as an integer) but loopback's, by ioctl."""
    found = {}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for name in sorted(os.listdir("/sys/class/net")):
            if name == "lo":
                continue
            try:
                info = fcntl.ioctl(sock.fileno(), SIOCGIFADDR, struct.pack("256s", name.encode()[:15]))
            except OSError:
                continue  # no IPv4 address on it
            found[name] = int.from_bytes(info[20:24], "big")
    return found


def interface_on(subnet: str) -> str:
    """The interface Docker put on `subnet` (names and order are not stable: by address).
    Not lanlab.host.node.find_by_subnet on purpose: that one reads `ip -j` (json and
    subprocess, a MiB more in every host); this one asks the kernel by ioctl."""
    network, length = parse_subnet(subnet)
    for name, address in interface_addresses().items():
        if inside(address, network, length):
            return name
    raise BootError(f"no interface has an address in {subnet}; is the container on that network?")


def read_lease() -> tuple[str, str] | None:
    try:
        with open(LEASE) as lease:
            return parse_lease(lease.read())
    except OSError:
        return None


def held_address() -> str | None:
    """The leased address without its prefix length ("192.168.7.20"), or None."""
    lease = read_lease()
    return lease[0].split("/")[0] if lease else None


QUIET = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
         (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)]


def run(argv: list[str]) -> int:
    """Run a program with its output discarded, wait, return its exit status (no
    subprocess module: see above)."""
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=QUIET)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def can_ping(address: str) -> bool:
    return run(["ping", "-q", "-c", "1", "-W", "1", address]) == 0


def wait_for_dhcp_path(target: str, timeout: float = PATH_WAIT) -> bool:
    """Before the first DISCOVER: probe `target` (the subnet's broadcast address) until
    relay and server both listen (see lanlab/dhcp/probe.py), so that it is not lost;
    after `timeout`, False."""
    began = time.monotonic()
    answered = probe.wait_for_answer(target, timeout)
    took = time.monotonic() - began
    if answered is None:
        say(f"no answer to the DHCP path probe in {took:.1f} s; asking for an address anyway, "
            "and probing on")
    elif took > 0.05:
        say(f"the DHCP path is open ({answered} answered after {took:.2f} s)")
    return answered is not None


def boot(subnet: str, hostname: str, timeout: float = 120.0) -> tuple[int, list[str]]:
    """Run udhcpc on the interface Docker put on `subnet`; return (its pid, its argv) once
    the lease is held, or raise BootError."""
    interface = interface_on(subnet)
    target = broadcast(*parse_subnet(subnet))
    late = None if wait_for_dhcp_path(target) else probe.LateProbe(target)
    try:
        os.unlink(LEASE)  # a file from the last run would say "bound" too early
    except FileNotFoundError:
        pass
    argv = udhcpc_argv(interface, hostname)
    pid = os.posix_spawnp(argv[0], argv, os.environ)
    say(f"{interface}: asking for an address by DHCP as {hostname}")
    exited = []

    def bound_or_exited() -> bool:
        nonlocal late, pid
        if read_lease() is not None:
            return True
        if late is not None and late.answered():
            say("the DHCP path is open now: starting udhcpc again, to ask at once")
            os.kill(pid, signal.SIGTERM)    # udhcpc acts on it after a running script ends,
            os.waitpid(pid, 0)              # so a lease it got meanwhile is written by now:
            pid = start_again(argv)         # then the new one keeps it and asks for it again
            late.close()
            late = None
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            exited.append(os.waitstatus_to_exitcode(status))
        return bool(done)

    held = wait_for(bound_or_exited, timeout, 0.02)
    if late is not None:
        late.close()
    if not held:
        raise BootError(f"no DHCP lease within {timeout:.0f} s; see `make logs` (dhcp, router)")
    lease = read_lease()
    if lease is None:
        raise BootError(f"udhcpc exited ({exited[0] if exited else '?'}) before a lease was held")
    address, router = lease
    say(f"{interface} {address} by DHCP, default via {router}")
    return pid, argv


def reach_router() -> None:
    """Ping the leased default gateway until it answers (at most 30 s), or raise BootError.
    (A host whose lease names a DNS server proves the router forwards by asking that
    server for its own name instead: lanlab/host/program.py.)"""
    lease = read_lease()
    if lease is None:
        raise BootError("no lease is held")
    if not wait_for(lambda: can_ping(lease[1]), 30, 0.05):
        raise BootError(f"leased {lease[0]} but the router {lease[1]} does not answer")
