"""nfnetlink_queue messages (lanlab/link/codec.py) against golden bytes: the requests are
written out field by field from the uapi headers, the packet message is what a Linux
6.18 kernel sent for one ping queued at POSTROUTING."""
import pytest

from lanlab.link import codec
from lanlab.link.handler import Hold

# nlmsghdr (len 28, type 0x0302 CONFIG, flags REQUEST|ACK, seq 1, pid 0), nfgenmsg
# (family 0, version 0, queue 7 big-endian), attribute CFG_CMD (len 8, type 1):
# command BIND, pad, pf AF_INET big-endian.
BIND_7 = bytes.fromhex("1c000000" "0203" "0500" "01000000" "00000000" "00" "00" "0007"
                       "0800" "0100" "01" "00" "0002")
# verdict batch (type 0x0303), seq 0, queue 7, VERDICT_HDR (len 12, type 2): ACCEPT, id 42
BATCH_7_42 = bytes.fromhex("20000000" "0303" "0100" "00000000" "00000000" "00" "00" "0007"
                           "0c00" "0200" "00000001" "0000002a")
# params: CFG_PARAMS (len 9, type 2) copy_range 0, mode META (1), padded to 12
PARAMS_3 = bytes.fromhex("20000000" "0203" "0500" "02000000" "00000000" "00" "00" "0003"
                         "0900" "0200" "00000000" "01" "000000")
# From the kernel: PACKET (0x0300), queue 8, family AF_INET; PACKET_HDR id 1, hw_protocol
# 0x0800, hook 4 (POST_ROUTING); IFINDEX_OUTDEV 89.
KERNEL_PACKET = bytes.fromhex("28000000000300000000000000000000020000080b0001000000000108000400"
                              "0800060000000059")


def test_bind_request_matches_the_uapi_layout():
    assert codec.config_bind(7, 1) == BIND_7, "the kernel reads nlmsghdr in host order, nfgenmsg's queue big-endian"


def test_batch_verdict_matches_the_uapi_layout():
    assert codec.verdict(7, 42, codec.NF_ACCEPT, 0, batch=True) == BATCH_7_42, \
        "a batch verdict releases every packet up to id 42: one message for a burst"


def test_params_attribute_is_padded_to_four_bytes():
    assert codec.config_params(3, 2) == PARAMS_3, "attributes are aligned to 4 bytes (NLA_ALIGN)"


def test_kernel_packet_message_is_read():
    [message] = codec.parse(KERNEL_PACKET)
    assert message.type == codec.NFQNL_MSG_PACKET and message.queue == 8, "a queued packet on queue 8"
    assert message.packet_id == 1, "the id the verdict must name"
    assert message.attributes[codec.NFQA_IFINDEX_OUTDEV] == (89).to_bytes(4, "big"), "the outgoing interface"


def test_two_messages_in_one_datagram_and_an_ack():
    ack = bytes.fromhex("24000000" "0200" "0000" "01000000" "00000000" "00000000") + BIND_7[:16]
    messages = codec.parse(KERNEL_PACKET + ack)
    assert [m.type for m in messages] == [codec.NFQNL_MSG_PACKET, codec.NLMSG_ERROR], "the kernel batches messages"
    assert messages[1].error == 0 and messages[1].seq == 1, "error 0 acknowledges request 1"


@pytest.mark.parametrize("data", [
    KERNEL_PACKET[:10],                                  # shorter than a header
    b"\xff\x00\x00\x00" + KERNEL_PACKET[4:],             # length beyond the datagram
    b"\x08\x00\x00\x00" + KERNEL_PACKET[4:],             # length shorter than a header
    KERNEL_PACKET[:20] + b"\x40\x00" + KERNEL_PACKET[22:],  # attribute longer than the message
    bytes.fromhex("14000000" "0300" "0000" "00000000" "00000000" "0200"),  # nfgenmsg cut
])
def test_malformed_datagrams_raise_one_error_type(data):
    with pytest.raises(codec.NetlinkError):
        codec.parse(data)


def test_packet_without_header_has_no_id():
    message = codec.Message(codec.NFQNL_MSG_PACKET, 0, 0, 0)
    with pytest.raises(codec.NetlinkError, match="packet header"):
        message.packet_id


def test_hold_releases_in_order_after_the_delay():
    hold = Hold(0.05)
    hold.add(1, now=10.0)
    hold.add(2, now=10.01)
    hold.add(3, now=10.04)
    assert hold.due(10.049) is None, "nothing is released before its 50 ms are over"
    assert hold.timeout(10.0) == pytest.approx(0.05), "the program sleeps until the oldest is due"
    assert hold.due(10.065) == 2, "ids 1 and 2 are due: one batch verdict up to 2"
    assert hold.due(10.2) == 3 and hold.timeout(10.2) is None, "then 3, and nothing waits"
