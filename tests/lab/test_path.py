"""The path: cross-subnet traffic goes through the router, and only through it.

The host machine sits on every bridge too (at .254), so a packet could in principle
bypass the router; these tests look at the packets themselves: the first traceroute
hop, the TTL the receiver sees, and the source MAC of the frame it receives.
"""
import re

from lanlab.control.probe import address_of, capture_while, lab_interface


def mac_of(n, plan, subnet: str) -> str:
    return lab_interface(n, plan, subnet).mac.lower()


def test_traceroute_first_hop_is_the_router(node, plan):
    carol = address_of(node("carol"), plan, "lan-b")
    out = node("alice").ok(f"traceroute -n -q 1 -w 2 -m 5 {carol}", timeout=40)
    hops = re.findall(r"^\s*(\d+)\s+(\S+)", out, re.M)
    assert hops and hops[0][1] == str(plan.subnet("lan-a").router), \
        f"the first hop from alice must be the router's lan-a address, the default gateway:\n{out}"
    assert hops[-1][1] == carol and len(hops) == 2, f"carol is exactly one router away:\n{out}"


def echoes_seen(sender, receiver, plan, sender_subnet: str, receiver_subnet: str) -> str:
    """What `receiver` captures on its `receiver_subnet` interface while `sender` pings it there."""
    sender_ip = address_of(sender, plan, sender_subnet)
    receiver_if = lab_interface(receiver, plan, receiver_subnet)
    return capture_while(receiver, receiver_if.name, f"icmp[icmptype] == icmp-echo and src host {sender_ip}",
                         lambda: sender.sh(f"ping -c 3 -i 0.3 -W 1 {address_of(receiver, plan, receiver_subnet)}"))


def test_cross_subnet_packet_arrives_with_ttl_63_from_the_routers_mac(node, plan):
    out = echoes_seen(node("alice"), node("carol"), plan, "lan-a", "lan-b")
    assert "ttl 63" in out, f"one router hop takes the TTL from 64 to 63; carol saw:\n{out}"
    router_mac = mac_of(node("router"), plan, "lan-b")
    assert out.lower().startswith(router_mac), \
        f"the frame carol receives must come from the router's lan-b MAC {router_mac}:\n{out}"


def test_same_subnet_packet_arrives_with_ttl_64_from_the_senders_mac(node, plan):
    alice = node("alice")
    out = echoes_seen(alice, node("bob"), plan, "lan-a", "lan-a")
    assert "ttl 64" in out, f"within a subnet no router touches the packet; bob saw:\n{out}"
    assert out.lower().startswith(mac_of(alice, plan, "lan-a")), \
        f"on one subnet the frame comes straight from alice:\n{out}"
