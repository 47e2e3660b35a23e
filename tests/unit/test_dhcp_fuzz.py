"""10,000+ malformed packets (random bytes and mutated valid messages) against the pure
server and relay: nothing raises, nothing is sent outside the lab's subnets, and a normal
DORA still succeeds afterwards."""
import ipaddress
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from dhcp_helpers import SERVER, dora, request, small_config  # noqa: E402

from lanlab.dhcp import codec  # noqa: E402
from lanlab.router.handler import Link, Relay  # noqa: E402
from lanlab.dhcp.handler import Server  # noqa: E402

NOW = 1_700_000_000.0
COUNT = 10_000


def valid_messages() -> list[bytes]:
    return [
        request(codec.DISCOVER, 1, hostname="bob"),
        request(codec.REQUEST, 2, requested="192.168.7.101", server_id=SERVER),
        request(codec.REQUEST, 3, giaddr=None, ciaddr="192.168.7.102"),
        request(codec.DECLINE, 4, requested="192.168.7.103"),
        request(codec.RELEASE, 5, giaddr=None, ciaddr="192.168.7.104"),
        request(codec.INFORM, 6, ciaddr="192.168.7.50"),
    ]


def mutate(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(7)
        if choice == 0 and data:                               # flip a byte anywhere
            data[rng.randrange(len(data))] = rng.randrange(256)
        elif choice == 1:                                      # truncate
            del data[rng.randrange(len(data) + 1):]
        elif choice == 2 and len(data) > 240:                  # an option whose length lies
            pos = rng.randrange(240, len(data))
            data[pos:pos] = bytes([rng.randrange(1, 255), rng.randrange(256)]) + rng.randbytes(rng.randrange(4))
        elif choice == 3 and len(data) > 240:                  # break the magic cookie
            data[236 + rng.randrange(4)] ^= 0xFF
        elif choice == 4 and data:                             # op 2, or nonsense
            data[0] = rng.choice([0, 2, 3, 255])
        elif choice == 5 and len(data) > 28:                   # giaddr / ciaddr anywhere
            start = rng.choice([12, 24])
            data[start:start + 4] = rng.randbytes(4)
        else:                                                  # garbage after the end
            data += rng.randbytes(rng.randrange(64))
    return bytes(data)


def malformed(rng: random.Random):
    valid = valid_messages()
    for i in range(COUNT):
        if i % 4 == 0:
            yield rng.randbytes(rng.randrange(0, 600))
        else:
            yield mutate(rng.choice(valid), rng)


def inside_the_lab(address: str, config) -> bool:
    return address == "255.255.255.255" or config.subnet_of(ipaddress.IPv4Address(address)) is not None


def test_server_survives_ten_thousand_malformed_packets_then_serves():
    config = small_config()
    server = Server(config)
    dropped = replied = 0
    for data in malformed(random.Random(2131)):
        outcome = server.handle_packet(data, NOW)  # must not raise
        dropped += bool(outcome.log and not outcome.replies)
        for reply in outcome.replies:
            replied += 1
            assert inside_the_lab(reply.address, config), \
                f"a reply to {reply.address}, outside the lab's subnets: never send a packet out"
            assert codec.parse(reply.data).op == codec.OP_REPLY, "every reply must itself be valid DHCP"
    assert dropped > COUNT // 2, f"most fuzz must be dropped with a log line, only {dropped} were"
    assert replied, "some mutations stay valid and are answered: else the reply checks above checked nothing"
    server.expire(NOW + 4000)
    ack, _ = dora(server, 99, NOW + 4000, hostname="after-fuzz")
    assert ack.message_type == codec.ACK, "after the fuzz a normal DORA must still succeed"


def test_relay_survives_malformed_packets():
    link = Link("eth0", ipaddress.IPv4Interface("192.168.7.1/24"))
    relay = Relay(ipaddress.IPv4Address("10.0.0.2"), (link,))
    rng = random.Random(3046)
    relayed = 0
    for data in malformed(rng):
        for result in (relay.from_client(data, link), relay.from_server(data)):
            if not isinstance(result, str):
                relayed += 1
                assert result.address in ("10.0.0.2", "255.255.255.255") or \
                    ipaddress.IPv4Address(result.address) in link.address.network, \
                    f"the relay sent to {result.address}: only the server or the client link"
    assert relayed, "some mutations stay valid and are relayed: else the address check above checked nothing"
    assert not isinstance(relay.from_client(request(codec.DISCOVER, giaddr=None), link), str), \
        "after the fuzz a normal request is still relayed"
