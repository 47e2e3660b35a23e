"""lanlab's DHCP path probe: is the way from this subnet to the DHCP server open yet?

Not DHCP: a zero-length UDP datagram to port 67. No DHCP message can be that short
(RFC 2131 section 2: 236 bytes of fixed fields and the magic cookie at least), so no
real DHCP agent mistakes it for one; ours treat it as a question, answered with a
zero-length datagram to the sender:

    the server   answers every probe (lanlab/dhcp/program.py)
    the relay    broadcasts probes on the server's subnet from its start until the server
                 answers one, and from then on answers the probes heard on its client
                 links (lanlab/router/program.py): an answer means relay AND server listen
    a host       before it starts udhcpc, broadcasts probes on its own subnet, with the
                 address Docker gave it, until the relay (or a server on that subnet)
                 answers, or `timeout` passes; then udhcpc starts anyway and the probes go
                 on (LateProbe) until one is answered, and udhcpc starts again to ask at once
                 (lanlab/host/program.py via lanlab.host.dhcp_client)

Why: Docker starts a lab's containers in no fixed order, and a DISCOVER sent before the
relay and the server listen is lost; udhcpc then waits a whole second (-T 1, its smallest
pause) before the next one. Probing every few tens of milliseconds lets the first
DISCOVER go out when it can be answered. Broadcasts, because a unicast to a neighbour
that does not exist yet leaves an unresolved ARP entry that the kernel retries only once
a second. A probe that is never answered costs only time: the host starts udhcpc anyway.
"""
from __future__ import annotations

import socket
import time

from lanlab.contracts import DHCP_SERVER_PORT

PORT = DHCP_SERVER_PORT
FIRST_PAUSE = 0.02
MAX_PAUSE = 0.1    # probes back off to this: 200 hosts probing at boot stay cheap


def is_probe(data: bytes) -> bool:
    return len(data) == 0


def pauses(first: float = FIRST_PAUSE, most: float = MAX_PAUSE):
    """The waits between probes: doubling from `first` up to `most`."""
    pause = first
    while True:
        yield pause
        pause = min(most, pause * 2)


def broadcast_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    return sock


def send_probe(sock: socket.socket, address: str, port: int = PORT) -> None:
    try:
        sock.sendto(b"", (address, port))
    except OSError:
        pass  # no route yet, a full buffer: the next probe will tell


class LateProbe:
    """Probes from a caller's own loop, without blocking it: `answered()` sends one every
    MAX_PAUSE and says whether a probe came back. A host whose udhcpc started before the
    path was open uses it to tell udhcpc when it is (lanlab.host.dhcp_client.boot)."""

    def __init__(self, broadcast: str, port: int = PORT, clock=time.monotonic):
        self.address, self.clock, self.due = (broadcast, port), clock, 0.0
        self.sock = broadcast_socket()
        self.sock.setblocking(False)

    def answered(self) -> bool:
        if self.clock() >= self.due:
            send_probe(self.sock, *self.address)
            self.due = self.clock() + MAX_PAUSE
        while True:
            try:
                data, _ = self.sock.recvfrom(512)
            except OSError:     # nothing (more) to read
                return False
            if is_probe(data):
                return True

    def close(self) -> None:
        self.sock.close()


def wait_for_answer(broadcast: str, timeout: float, port: int = PORT, clock=time.monotonic) -> str | None:
    """Broadcast probes to `broadcast`:`port` until one is answered; the answering
    address, or None after `timeout` seconds."""
    deadline = clock() + timeout
    with broadcast_socket() as sock:
        for pause in pauses():
            left = deadline - clock()
            if left <= 0:
                return None
            send_probe(sock, broadcast, port)
            sock.settimeout(min(pause, left))
            try:
                data, source = sock.recvfrom(512)
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                time.sleep(min(pause, max(0.0, deadline - clock())))
                continue
            if is_probe(data):
                return source[0]
    return None
