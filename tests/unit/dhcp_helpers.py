"""Shared by the DHCP unit tests: a small configuration and a way to write requests."""
import ipaddress

from lanlab.dhcp import codec, config

IP = ipaddress.IPv4Address
RELAY_A = IP("192.168.7.1")
RELAY_B = IP("192.168.13.1")
SERVER = IP("10.0.0.2")

CONFIG_TEXT = """
[server]
identifier = "10.0.0.2"
dns_servers = ["10.0.0.3"]
domain = "lab.internal"
lease_time = 3600

[[subnet]]
name = "lan-a"
network = "192.168.7.0/24"
router = "192.168.7.1"
pool = ["192.168.7.100", "192.168.7.104"]

[[subnet]]
name = "lan-b"
network = "192.168.13.0/24"
router = "192.168.13.1"
pool = ["192.168.13.100", "192.168.13.199"]

[[subnet]]
name = "svc"
network = "10.0.0.0/24"

[[reservation]]
hostname = "alice"
address = "192.168.7.20"

[[reservation]]
client_id = "006361726f6c"  # type 0 + "carol"
address = "192.168.13.18"
"""


def small_config() -> config.Config:
    """lan-a has a pool of five addresses, so a full pool is easy to reach."""
    return config.loads(CONFIG_TEXT, {})


def mac(n: int) -> bytes:
    return bytes.fromhex("020000000000")[:-2] + n.to_bytes(2, "big")


def request(kind: int, n: int = 1, *, giaddr=RELAY_A, ciaddr=None, requested=None, server_id=None,
            hostname=None, client_id=None, params=(1, 3, 6, 15, 28), xid=None, flags=0,
            extra=()) -> bytes:
    options = [(53, bytes([kind]))]
    if client_id is not None:
        options.append((61, client_id))
    if hostname is not None:
        options.append((12, hostname.encode()))
    if requested is not None:
        options.append((50, IP(requested).packed))
    if server_id is not None:
        options.append((54, IP(server_id).packed))
    if params is not None:
        options.append((55, bytes(params)))
    options += list(extra)
    msg = codec.Message(op=1, xid=xid if xid is not None else 0x1000 + n, flags=flags, chaddr=mac(n),
                        giaddr=IP(giaddr or 0), ciaddr=IP(ciaddr or 0), options=tuple(options))
    return codec.build(msg)


def only_reply(outcome):
    assert len(outcome.replies) == 1, f"expected exactly one reply, got {outcome}"
    reply = outcome.replies[0]
    return codec.parse(reply.data), (reply.address, reply.port)


def dora(server, n: int, now: float, giaddr=RELAY_A, **kw):
    """DISCOVER, OFFER, REQUEST, ACK; returns (ack message, outcome of the REQUEST)."""
    offer, _ = only_reply(server.handle_packet(request(codec.DISCOVER, n, giaddr=giaddr, **kw), now))
    assert offer.message_type == codec.OFFER, f"expected an OFFER, got {codec.type_name(offer.message_type)}"
    outcome = server.handle_packet(request(codec.REQUEST, n, giaddr=giaddr, requested=offer.yiaddr,
                                           server_id=SERVER, **kw), now)
    ack, _ = only_reply(outcome)
    return ack, outcome
