"""The DHCP server's decisions (RFC 2131 4.3): every message type, every REQUEST state,
reservations, full pools and bad input, with no sockets."""
import sys
from pathlib import Path

from scapy.layers.dhcp import BOOTP, DHCP

sys.path.insert(0, str(Path(__file__).parent))
from dhcp_helpers import IP, RELAY_B, SERVER, dora, only_reply, request, small_config  # noqa: E402

from lanlab.dhcp import codec  # noqa: E402
from lanlab.contracts import client_id_for  # noqa: E402
from lanlab.dhcp.leases import BOUND, DECLINED, RELEASED  # noqa: E402
from lanlab.dhcp.handler import Server  # noqa: E402

NOW = 1_700_000_000.0

# The OFFER our server writes for request(DISCOVER, 1, params=(1, 3, 6, 15)), by hand:
GOLDEN_OFFER = (
    bytes.fromhex(
        "02 01 06 00  00 00 10 01  00 00 00 00"     # BOOTREPLY, xid 0x1001, secs 0, flags 0
        "00 00 00 00  c0 a8 07 64"                   # ciaddr 0, yiaddr 192.168.7.100
        "00 00 00 00  c0 a8 07 01"                   # siaddr 0, giaddr 192.168.7.1
        "02 00 00 00 00 01" + "00" * 10)             # chaddr
    + bytes(192)                                     # sname, file
    + bytes.fromhex(
        "63 82 53 63  35 01 02  36 04 0a 00 00 02"   # cookie, OFFER, server id 10.0.0.2
        "33 04 00 00 0e 10  3a 04 00 00 07 08  3b 04 00 00 0c 4e"  # lease 3600, T1 1800, T2 3150
        "01 04 ff ff ff 00  03 04 c0 a8 07 01  06 04 0a 00 00 03"  # mask, router, dns
        "0f 0c" + b"lab.internal".hex() + "ff")
).ljust(300, b"\0")


def server() -> Server:
    return Server(small_config())


def test_offer_is_the_golden_bytes():
    outcome = server().handle_packet(request(codec.DISCOVER, 1, params=(1, 3, 6, 15)), NOW)
    assert outcome.replies[0].data == GOLDEN_OFFER, "the OFFER must be RFC 2131/2132 byte for byte"
    assert (outcome.replies[0].address, outcome.replies[0].port) == ("192.168.7.1", 67), \
        "a relayed request is answered to the relay's giaddr, port 67 (RFC 2131 4.1)"
    assert outcome.changes == (), "an offer is not a lease: nothing is written to disk"


def test_scapy_reads_the_offer():
    data = server().handle_packet(request(codec.DISCOVER, 1), NOW).replies[0].data
    packet = BOOTP(data)
    options = dict(o for o in packet[DHCP].options if isinstance(o, tuple))
    assert packet.op == 2 and packet.yiaddr == "192.168.7.100", "scapy must see a reply with an address"
    assert options["message-type"] == 2 and options["server_id"] == "10.0.0.2", "an OFFER from us"
    assert options["subnet_mask"] == "255.255.255.0" and options["router"] == "192.168.7.1", \
        "mask and router of lan-a, chosen by giaddr"
    assert options["name_server"] == "10.0.0.3" and options["domain"] == b"lab.internal", \
        "the DNS server and domain the hosts need"
    assert (options["lease_time"], options["renewal_time"], options["rebinding_time"]) == (3600, 1800, 3150), \
        "lease, T1 = 1/2 and T2 = 7/8 of it (RFC 2131 4.4.5)"


def test_dora_gives_a_lease_that_must_be_written():
    s = server()
    ack, outcome = dora(s, 1, NOW, hostname="bob")
    assert ack.message_type == codec.ACK and ack.yiaddr == IP("192.168.7.100"), "the offered address is ACKed"
    assert [c.state for c in outcome.changes] == [BOUND], "an ACK carries its lease change, to be on disk first"
    assert outcome.changes[0].hostname == "bob", "the host name (option 12) stays with the lease"
    assert [(d.action, d.hostname) for d in outcome.dns] == [("add", "bob")], "a named lease gets DNS records"


def test_pool_and_options_follow_giaddr():
    ack, _ = dora(server(), 1, NOW, giaddr=RELAY_B)
    assert ack.yiaddr in small_config().subnets[1].network, "a request relayed from lan-b gets a lan-b address"
    assert ack.get("router") == (RELAY_B,), "and lan-b's router"


def test_parameter_list_limits_the_options():
    reply, _ = only_reply(server().handle_packet(request(codec.DISCOVER, 1, params=(1, 3)), NOW))
    assert reply.option(6) is None and reply.option(15) is None, "options the client did not ask for are left out"
    assert reply.option(1) is not None and reply.option(3) is not None, "mask and router are given"


def test_same_client_gets_its_address_back():
    s = server()
    first, _ = dora(s, 1, NOW)
    dora(s, 2, NOW)
    again, outcome = dora(s, 1, NOW + 10)
    assert again.yiaddr == first.yiaddr, "a client that comes back gets the address it had"
    assert outcome.dns == () and outcome.log == "", "a renewal is not news: no DNS update, no log line"


def test_client_id_keeps_the_address_when_the_mac_changes():
    s = server()
    cid = client_id_for("bob")
    first, _ = dora(s, 1, NOW, client_id=cid)
    second, _ = dora(s, 9, NOW + 5, client_id=cid)
    assert second.yiaddr == first.yiaddr, "option 61 identifies the client, not chaddr (RFC 2131 4.2)"


def test_reservations_by_host_name_and_by_client_id():
    s = server()
    alice, _ = dora(s, 1, NOW, hostname="alice")
    carol, _ = dora(s, 2, NOW, giaddr=RELAY_B, client_id=client_id_for("carol"))
    assert alice.yiaddr == IP("192.168.7.20"), "alice is reserved 192.168.7.20 by host name"
    assert carol.yiaddr == IP("192.168.13.18"), "carol is reserved 192.168.13.18 by client id"


def test_reservation_is_not_given_on_the_wrong_subnet():
    ack, _ = dora(server(), 1, NOW, giaddr=RELAY_B, hostname="alice")
    assert ack.yiaddr in small_config().subnets[1].network, "alice on lan-b gets a lan-b pool address"


def test_request_selecting_another_server_is_silent_and_frees_our_offer():
    s = server()
    offer, _ = only_reply(s.handle_packet(request(codec.DISCOVER, 1), NOW))
    outcome = s.handle_packet(request(codec.REQUEST, 1, requested=offer.yiaddr, server_id="10.0.0.99"), NOW)
    assert outcome.replies == () and outcome.changes == (), "a REQUEST for another server gets no reply"
    other, _ = only_reply(s.handle_packet(request(codec.DISCOVER, 2, requested=offer.yiaddr), NOW))
    assert other.yiaddr == offer.yiaddr, "the address offered to a client that went elsewhere is free again"


def test_init_reboot():
    s = server()
    ack, _ = dora(s, 1, NOW)
    again, where = only_reply(s.handle_packet(request(codec.REQUEST, 1, requested=ack.yiaddr), NOW + 60))
    assert again.message_type == codec.ACK, "INIT-REBOOT with its own address is ACKed"
    nak, where = only_reply(s.handle_packet(request(codec.REQUEST, 1, requested="192.168.13.150"), NOW + 60))
    assert nak.message_type == codec.NAK, "INIT-REBOOT for an address on another subnet is NAKed (moved host)"
    assert nak.broadcast and where == ("192.168.7.1", 67), \
        "a NAK through a relay goes to the relay with the broadcast bit (RFC 2131 4.3.2)"
    assert nak.get("message"), "the NAK says why (option 56)"


def test_init_reboot_for_someone_elses_address_is_naked():
    s = server()
    ack, _ = dora(s, 1, NOW)
    nak, _ = only_reply(s.handle_packet(request(codec.REQUEST, 2, requested=ack.yiaddr), NOW))
    assert nak.message_type == codec.NAK, "an address leased to one client is never ACKed to another"


def test_renewing_is_answered_to_ciaddr():
    s = server()
    ack, _ = dora(s, 1, NOW)
    outcome = s.handle_packet(request(codec.REQUEST, 1, giaddr=None, ciaddr=ack.yiaddr), NOW + 1800)
    renewed, where = only_reply(outcome)
    assert renewed.message_type == codec.ACK and renewed.ciaddr == ack.yiaddr, "RENEWING is ACKed"
    assert where == (str(ack.yiaddr), 68), "a unicast renewal is answered to ciaddr, port 68 (RFC 2131 4.1)"
    assert outcome.changes == (), \
        "at T1 the record on disk (lease + slack) already covers the new lease: nothing to write"
    later = s.handle_packet(request(codec.REQUEST, 1, giaddr=None, ciaddr=ack.yiaddr), NOW + 2000)
    assert later.changes[0].expires == int(NOW + 2000 + 3600 + 1800), \
        "a renewal the record does not cover is written (with the slack) before its ACK"


def test_rebinding_through_the_relay():
    s = server()
    ack, _ = dora(s, 1, NOW)
    renewed, where = only_reply(s.handle_packet(request(codec.REQUEST, 1, ciaddr=ack.yiaddr), NOW + 3200))
    assert renewed.message_type == codec.ACK and where == ("192.168.7.1", 67), \
        "REBINDING (broadcast, relayed) is ACKed through the relay"


def test_request_outside_the_subnet_is_naked_with_a_log_line():
    outcome = server().handle_packet(request(codec.REQUEST, 1, requested="10.9.9.9", server_id=SERVER), NOW)
    nak, _ = only_reply(outcome)
    assert nak.message_type == codec.NAK, "a requested address outside the subnet is NAKed"
    assert "outside" in outcome.log and "\n" not in outcome.log, "with one log line saying why"


def test_decline_sets_the_address_aside():
    s = server()
    ack, _ = dora(s, 1, NOW)
    outcome = s.handle_packet(request(codec.DECLINE, 1, requested=ack.yiaddr, server_id=SERVER), NOW)
    assert outcome.replies == () and outcome.changes[0].state == DECLINED, "DECLINE: no reply, written down"
    for n in (1, 2, 3):
        offer, _ = only_reply(s.handle_packet(request(codec.DISCOVER, n), NOW + 1))
        assert offer.yiaddr != ack.yiaddr, "a declined address is offered to no one while set aside"
    s.expire(NOW + 3601)
    addresses = {only_reply(s.handle_packet(request(codec.DISCOVER, n), NOW + 3602))[0].yiaddr
                 for n in range(10, 15)}
    assert ack.yiaddr in addresses, "after the hold the declined address is back in the pool"


def test_release_frees_the_address():
    s = server()
    ack, _ = dora(s, 1, NOW, hostname="bob")
    outcome = s.handle_packet(request(codec.RELEASE, 1, giaddr=None, ciaddr=ack.yiaddr, server_id=SERVER), NOW)
    assert outcome.replies == () and outcome.changes[0].state == RELEASED, "RELEASE: no reply, written down"
    assert [(d.action, d.hostname) for d in outcome.dns] == [("remove", "bob")], "its DNS records go"
    taken = {dora(s, n, NOW)[0].yiaddr for n in range(2, 7)}
    assert ack.yiaddr in taken, "a released address goes to another client when the pool needs it"


def test_release_of_someone_elses_lease_is_ignored():
    s = server()
    ack, _ = dora(s, 1, NOW)
    outcome = s.handle_packet(request(codec.RELEASE, 2, giaddr=None, ciaddr=ack.yiaddr), NOW)
    assert outcome.changes == () and "not its lease" in outcome.log, "only the holder may release a lease"


def test_inform_gets_options_but_no_lease():
    outcome = server().handle_packet(request(codec.INFORM, 1, giaddr=None, ciaddr="192.168.7.50"), NOW)
    reply, where = only_reply(outcome)
    assert reply.message_type == codec.ACK and reply.yiaddr == IP(0), "INFORM is ACKed without an address"
    assert reply.option(51) is None, "and without a lease time (RFC 2131 4.3.5)"
    assert reply.get("dns_servers") == (IP("10.0.0.3"),), "but with the configuration asked for"
    assert where == ("192.168.7.50", 68) and outcome.changes == (), "to ciaddr, and nothing written"


def test_full_pool_drops_with_a_log_line_and_still_serves_reservations():
    s = server()
    for n in range(1, 6):
        dora(s, n, NOW)
    outcome = s.handle_packet(request(codec.DISCOVER, 6), NOW)
    assert outcome.replies == () and "full" in outcome.log, "a full pool: no offer, one log line"
    alice, _ = dora(s, 7, NOW, hostname="alice")
    assert alice.yiaddr == IP("192.168.7.20"), "a reservation is served even when the pool is full"
    outcome = s.handle_packet(request(codec.DISCOVER, 7, hostname="alice"), NOW)
    assert "full" in outcome.log and "reservation" in outcome.log, "and the log says so"


def test_expired_leases_go_back_to_the_pool():
    s = server()
    first = {dora(s, n, NOW, hostname=f"h{n}")[0].yiaddr for n in range(1, 6)}
    assert s.expire(NOW + 3601).changes == (), "the server holds a lease lease_slack longer than promised"
    outcome = s.expire(NOW + 3600 + 1800 + 1)
    assert len(outcome.changes) == 5 and len(outcome.dns) == 5, "then all five leases end, and their DNS records"
    later = {dora(s, n, NOW + 5500)[0].yiaddr for n in range(20, 25)}
    assert later == first, "new clients get the expired addresses"


def test_offer_hold_keeps_an_address_for_its_client():
    s = server()
    offer, _ = only_reply(s.handle_packet(request(codec.DISCOVER, 1), NOW))
    other, _ = only_reply(s.handle_packet(request(codec.DISCOVER, 2), NOW + 1))
    assert other.yiaddr != offer.yiaddr, "an offered address is not offered to a second client"


def test_bad_input_is_dropped_with_one_log_line():
    s = server()
    cases = {
        "truncated": request(codec.DISCOVER)[:120],
        "wrong cookie": request(codec.DISCOVER)[:236] + b"\0\0\0\0" + request(codec.DISCOVER)[240:],
        "overrun": request(codec.DISCOVER)[:240] + bytes.fromhex("350101 0c40 6162"),
        "unknown type": request(77),
        "offer from a client": request(codec.OFFER),
        "op 2": b"\x02" + request(codec.DISCOVER)[1:],
        "no type": codec.build(codec.Message(op=1, chaddr=b"\x02" * 6, options=((12, b"x"),))),
        "giaddr elsewhere": request(codec.DISCOVER, giaddr="203.0.113.1"),
        "bad option 50": request(codec.DISCOVER, extra=[(50, b"\x01")]),
        "direct on svc": request(codec.DISCOVER, giaddr=None),
    }
    for name, data in cases.items():
        outcome = s.handle_packet(data, NOW)
        assert outcome.replies == (), f"{name}: dropped, not answered"
        assert outcome.log and "\n" not in outcome.log, f"{name}: exactly one log line"
    dora(s, 1, NOW)


def test_a_hostname_cannot_break_a_log_line():
    s = server()
    evil = "evil\nlanlab[dhcp]: forged"
    ack, outcome = dora(s, 1, NOW, hostname=evil)
    assert "\n" not in outcome.log and outcome.changes[0].hostname == "evil-lanlab-dhcp---forged", \
        "option 12 is cleaned before it reaches logs, the lease file and DNS"
    for n in range(2, 6):
        dora(s, n, NOW)
    full = s.handle_packet(request(codec.DISCOVER, 9, hostname=evil), NOW)
    assert "full" in full.log and "\n" not in full.log, "a drop's log line stays one line"
