"""The DHCP codec (RFC 2131 / 2132): golden bytes both ways, and scapy's decoder as a
second opinion no one here wrote."""
import ipaddress

import pytest
from scapy.layers.dhcp import BOOTP, DHCP

from lanlab.dhcp import codec

IP = ipaddress.IPv4Address
MAC = bytes.fromhex("000c29123456")

# A DISCOVER written out by hand from RFC 2131 figure 1 and RFC 2132.
GOLDEN_DISCOVER = (
    bytes.fromhex(
        "01 01 06 00"                           # op BOOTREQUEST, htype 1, hlen 6, hops 0
        "39 03 f3 26"                           # xid
        "00 00 80 00"                           # secs 0, flags: broadcast
        "00 00 00 00  00 00 00 00"              # ciaddr, yiaddr
        "00 00 00 00  00 00 00 00"              # siaddr, giaddr
        "00 0c 29 12 34 56" + "00" * 10)        # chaddr (16 bytes)
    + bytes(64) + bytes(128)                    # sname, file
    + bytes.fromhex(
        "63 82 53 63"                           # magic cookie
        "35 01 01"                              # 53 message type: DISCOVER
        "3d 07 01 00 0c 29 12 34 56"            # 61 client id: type 1 + MAC
        "0c 05 61 6c 69 63 65"                  # 12 host name "alice"
        "37 04 01 03 06 0f"                     # 55 parameter list: 1 3 6 15
        "ff")                                   # end
).ljust(300, b"\0")

DISCOVER = codec.Message(
    op=1, xid=0x3903F326, flags=0x8000, chaddr=MAC,
    options=((53, b"\x01"), (61, b"\x01" + MAC), (12, b"alice"), (55, bytes([1, 3, 6, 15]))),
)


def test_golden_discover_parses_to_the_fields_written():
    msg = codec.parse(GOLDEN_DISCOVER)
    assert (msg.op, msg.htype, msg.hlen, msg.hops, msg.xid) == (1, 1, 6, 0, 0x3903F326), \
        "the fixed header must be read at RFC 2131's offsets"
    assert msg.broadcast and msg.hwaddr == MAC, "flags and chaddr carry how and to whom to answer"
    assert msg.message_type == codec.DISCOVER, "option 53 says what the message is"
    assert msg.get("hostname") == "alice" and msg.get("parameter_list") == (1, 3, 6, 15), \
        "typed options come from the option table"
    assert msg.option(61) == b"\x01" + MAC, "the client id is kept as raw bytes"


def test_golden_discover_is_what_build_writes():
    assert codec.build(DISCOVER) == GOLDEN_DISCOVER, "build must write RFC 2131's layout byte for byte"


def test_parse_and_build_round_trip():
    assert codec.build(codec.parse(GOLDEN_DISCOVER)) == GOLDEN_DISCOVER, \
        "a parsed message built again must come out unchanged"


def test_scapy_reads_our_bytes_as_we_meant_them():
    packet = BOOTP(codec.build(DISCOVER))
    options = dict(o for o in packet[DHCP].options if isinstance(o, tuple))
    assert packet.xid == 0x3903F326 and packet.flags == 0x8000, "scapy must see our header fields"
    assert bytes(packet.chaddr)[:6] == MAC, "scapy must see our chaddr"
    assert options["message-type"] == 1 and options["hostname"] == b"alice", \
        "scapy must decode our options"
    assert options["param_req_list"] == [1, 3, 6, 15], "scapy must see the parameter list"


def test_we_read_scapys_bytes_as_it_meant_them():
    data = bytes(BOOTP(op=1, xid=7, chaddr=MAC, giaddr="192.168.7.1", hops=1)
                 / DHCP(options=[("message-type", "request"), ("requested_addr", "192.168.7.120"),
                                 ("server_id", "10.0.0.2"), ("lease_time", 600), "end"]))
    msg = codec.parse(data)
    assert msg.giaddr == IP("192.168.7.1") and msg.hops == 1, "the relay fields must be read"
    assert msg.message_type == codec.REQUEST, "a REQUEST must be seen as one"
    assert msg.get("requested_ip") == IP("192.168.7.120"), "option 50 is an address"
    assert msg.get("server_id") == IP("10.0.0.2") and msg.get("lease_time") == 600, \
        "options 54 and 51 must decode to their types"


def test_overloaded_file_field_options_are_read():
    file = bytes.fromhex("0c 03 626f62 ff").ljust(128, b"\0")
    msg = codec.Message(options=((53, b"\x01"), (52, b"\x01")), file=file)
    assert codec.parse(codec.build(msg)).get("hostname") == "bob", \
        "option 52 = 1 puts more options in the file field (RFC 2132 9.3)"


def test_repeated_option_is_one_value():
    data = codec.build(codec.Message(options=((53, b"\x01"), (12, b"al"), (12, b"ice"))))
    assert codec.parse(data).get("hostname") == "alice", "RFC 3396: repeated options concatenate"


def test_long_option_is_split_in_255_byte_parts():
    value = bytes(range(256)) * 2
    data = codec.build(codec.Message(options=((53, b"\x01"), (43, value))))
    assert codec.parse(data).option(43) == value, "RFC 3396: a long value is split and joined again"


@pytest.mark.parametrize("data,why", [
    (GOLDEN_DISCOVER[:100], "truncated"),
    (GOLDEN_DISCOVER[:239], "truncated"),
    (GOLDEN_DISCOVER[:236] + b"\x63\x82\x53\x64" + GOLDEN_DISCOVER[240:], "magic cookie"),
    (GOLDEN_DISCOVER[:240] + bytes.fromhex("35 01 01 0c 20 61 6c"), "claims 32 bytes"),
    (GOLDEN_DISCOVER[:240] + bytes.fromhex("35 01 01 0c"), "middle of option"),
    (b"\x03" + GOLDEN_DISCOVER[1:], "op 3"),
    (GOLDEN_DISCOVER[:2] + b"\x11" + GOLDEN_DISCOVER[3:], "hardware address length 17"),
])
def test_malformed_input_raises_only_dhcperror(data, why):
    with pytest.raises(codec.DhcpError, match=why):
        codec.parse(data)


def test_bad_typed_option_raises_dhcperror():
    msg = codec.parse(codec.build(codec.Message(options=((53, b"\x03"), (50, b"\x01\x02\x03")))))
    with pytest.raises(codec.DhcpError, match="4 bytes"):
        msg.get("requested_ip")


def test_relay_agent_suboptions_round_trip():
    data = codec.suboption_bytes([(1, b"lan-a"), (2, b"router")])
    assert codec.suboptions(data) == ((1, b"lan-a"), (2, b"router")), "RFC 3046 sub-options"
    with pytest.raises(codec.DhcpError):
        codec.suboptions(b"\x01\x09abc")


def test_edit_sets_relay_fields_and_keeps_the_rest():
    info = codec.option_bytes([(82, codec.suboption_bytes([(1, b"x")]))])
    edited = codec.parse(codec.edit(GOLDEN_DISCOVER, hops=1, giaddr=IP("192.168.7.1"), append=info))
    original = codec.parse(GOLDEN_DISCOVER)
    assert (edited.hops, edited.giaddr) == (1, IP("192.168.7.1")), "the relay sets hops and giaddr"
    assert edited.options == original.options + ((82, b"\x01\x01x"),), \
        "the relay adds option 82 last and leaves the client's options as they were"
    stripped = codec.parse(codec.edit(codec.edit(GOLDEN_DISCOVER, append=info), drop=82))
    assert stripped.options == original.options, "option 82 comes off again on the way back"


def test_scapy_sees_relay_agent_information():
    info = codec.option_bytes([(82, codec.suboption_bytes([(1, b"172.31.7.0/24")]))])
    packet = BOOTP(codec.edit(GOLDEN_DISCOVER, giaddr=IP("192.168.7.1"), append=info))
    options = dict(o for o in packet[DHCP].options if isinstance(o, tuple))
    assert options.get("relay_agent_information") == b"\x01\x0d172.31.7.0/24", \
        "scapy must find our option 82 with its circuit id sub-option"
    assert packet.giaddr == "192.168.7.1", "scapy must see the giaddr we set"
    names = [o for o in packet[DHCP].options if not isinstance(o, tuple)]
    assert names and names[0] == "end", "option 82 must come before END, not after it"
