"""The router's program: its start (main: routes, checksums, ready) and the DHCP relay's
sockets around lanlab.router.handler (RFC 2131 section 4.1, RFC 1542 relay agents).

    python3 -m lanlab.router.program      (router/entrypoint.py; env LANLAB_DHCP_SERVER)

Every interface whose subnet does not hold the DHCP server is a client link; the one
that does is the server side. Interfaces are found by their addresses (lanlab.host.node),
never by name. One UDP socket on port 67 is bound to each interface (SO_BINDTODEVICE),
so the interface a broadcast came in on is the socket it came to:

    client link   requests -> relayed to the server; anything else dropped, one log line
    server side   replies -> sent out of the client link their giaddr names;
                  requests heard here are ignored: the server hears them itself

Path probes (zero-length datagrams, lanlab/dhcp/probe.py): from its start the relay
broadcasts them on the server's subnet until the server answers one; from then on it
answers those heard on client links, so a host knows relay and server both listen.
"""
from __future__ import annotations

import ipaddress
import os
import selectors
import sys
import threading
import time

from lanlab.contracts import DHCP_SERVER_PORT
from lanlab.dhcp import codec, probe
from lanlab.dhcp.sockets import receive_batch, send, udp_socket
from lanlab.host import node, ready
from lanlab.ratelog import RateLog
from lanlab.router import ospf
from lanlab.router.handler import Link, Relay, Send

PORT = DHCP_SERVER_PORT


def plan_links(interfaces: list[node.Interface], server: ipaddress.IPv4Address,
               relayed: list[str] | None = None):
    """(client links, the server side's interface name, where probes for the server go)
    from the router's interfaces. `relayed` (subnets) limits the client links to the
    networks this router is the gateway of; without it every other interface is one.
    A server on no interface's subnet is reached by routing: no server side interface,
    and probes go to the server itself."""
    networks = None if relayed is None else {ipaddress.ip_network(s) for s in relayed}
    links, server_side, target = [], None, server
    for interface in interfaces:
        for address in interface.addresses:
            if server in address.network:
                server_side, target = interface.name, address.network.broadcast_address
            elif networks is None or address.network in networks:
                links.append(Link(interface.name, address))
    if server_side is None and relayed is None:
        raise node.NodeError(f"no interface of this router is on the DHCP server {server}'s subnet")
    return tuple(links), server_side, target


class RelayProgram:
    def __init__(self, server: str, log: RateLog | None = None, relayed: list[str] | None = None):
        self.log = log or RateLog("lanlab[relay]")
        links, server_side, self.broadcast = plan_links(node.interfaces(), ipaddress.IPv4Address(server),
                                                        relayed)
        self.server_answered = threading.Event()
        self.relay = Relay(ipaddress.IPv4Address(server), links)
        self.to_server = udp_socket(PORT, device=server_side)
        self.sockets = {link: udp_socket(PORT, device=link.name) for link in links}
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.to_server, selectors.EVENT_READ, None)
        for link, sock in self.sockets.items():
            self.selector.register(sock, selectors.EVENT_READ, link)
        names = ", ".join(f"{link.name} {link.address}" for link in links)
        self.log(f"relaying {names} to {server} (server side {server_side or 'routed'})")

    def run(self) -> None:
        while True:
            for key, _ in self.selector.select():
                for data, source in receive_batch(key.fileobj):
                    try:
                        self.one(data, source, key.data)
                    except Exception as error:  # one bad packet must not stop the relay
                        self.log(f"internal error on a packet from {source[0]}: {error!r}")
            self.log("")

    def one(self, data: bytes, source: tuple, link: Link | None) -> None:
        if probe.is_probe(data):
            self.answer_probe(source, link)
            return
        if link is None:
            if data[:1] != bytes((codec.OP_REPLY,)):
                return  # a request on the server's own subnet: the server hears it itself
            result = self.relay.from_server(data)
        else:
            result = self.relay.from_client(data, link)
        if isinstance(result, str):
            self.log(f"{result} [from {source[0]}]")
            return
        self.log(self.send(result))

    def answer_probe(self, source: tuple, link: Link | None) -> None:
        if link is None:
            if source[0] != str(self.relay.server):
                return  # our own broadcast probe, looped back to our port-67 socket
            if not self.server_answered.is_set():
                self.log(f"the DHCP server {self.relay.server} is listening: answering hosts' probes")
            self.server_answered.set()
        elif self.server_answered.is_set():
            self.log(send(self.sockets[link], b"", source[0], source[1]))

    def probe_server(self, quick: float = 30.0) -> None:
        """Broadcast probes on the server's subnet until it answers: every 20 ms for
        `quick` seconds, then once a second."""
        started = time.monotonic()
        while not self.server_answered.is_set():
            probe.send_probe(self.to_server, str(self.broadcast))
            pause = 0.02 if time.monotonic() - started < quick else 1.0
            self.server_answered.wait(pause)

    def send(self, item: Send) -> str:
        sock = self.to_server if item.link is None else self.sockets[item.link]
        return send(sock, item.data, item.address, item.port)


def start(server: str, relayed: list[str] | None = None) -> threading.Thread:
    """Open the sockets now (so the relay is listening when this returns), then relay
    in a background thread."""
    program = RelayProgram(server, relayed=relayed)
    thread = threading.Thread(target=program.run, name="dhcp-relay", daemon=True)
    thread.start()
    threading.Thread(target=program.probe_server, name="dhcp-probe", daemon=True).start()
    return thread


def main() -> int:
    """The router's start: no default route (nothing leaves the lab), the prefix lengths
    and static routes a lab file gives (LANLAB_ADDRESSES, LANLAB_ROUTES), software
    checksums on every interface (real DHCP clients drop unfilled ones), then the relay to
    $LANLAB_DHCP_SERVER for the networks it is the gateway of (LANLAB_RELAY; every
    interface but the server's when unset); FRR when the lab routes with OSPF
    (LANLAB_FRR_CONF, lanlab/router/ospf.py), and ready once its neighbours are adjacent."""
    started = time.monotonic()
    ready.clear_ready()
    node.drop_default_route()
    try:
        node.set_addresses(os.environ.get("LANLAB_ADDRESSES", ""))
        node.add_static_routes(os.environ.get("LANLAB_ROUTES", ""))
    except (node.NodeError, ValueError) as error:
        ready.log(f"error: cannot set the lab file's addresses and routes: {error}")
        return 1
    interfaces = node.interfaces()
    try:    # first: OSPF's adjacencies take the longest, and the other routers wait on them
        if os.environ.get("LANLAB_FRR_CONF"):
            ospf.start(os.environ["LANLAB_FRR_CONF"], interfaces)
    except (OSError, ValueError) as error:
        ready.log(f"error: FRR (routing: ospf) cannot start: {error}")
        return 1
    for interface in interfaces:
        node.checksum_offload_off(interface.name)
        ready.log(f"{interface.name} {', '.join(map(str, interface.addresses))}")
    server, relayed = os.environ.get("LANLAB_DHCP_SERVER"), os.environ.get("LANLAB_RELAY")
    try:
        if server:
            start(server, relayed.split() if relayed is not None else None)
    except (node.NodeError, OSError, ValueError) as error:
        ready.log(f"error: the DHCP relay cannot start: {error}")
        return 1
    if os.environ.get(ospf.NEIGHBOURS_VARIABLE):
        ospf.wait_converged(int(os.environ[ospf.NEIGHBOURS_VARIABLE]), ready.log)
    ready.mark_ready(started)
    node.sleep_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
