"""`lanlab-health`: Docker's healthcheck for every lab container.

Healthy means the container finished its start (it wrote the ready marker) and, for
everything but the router, that its default gateway answers a ping right now.
"""
import os
import sys

from lanlab import node


def main(argv: list[str] | None = None) -> int:
    if not node.READY.exists():
        print("not ready: start-up has not finished", file=sys.stderr)
        return 1
    if os.environ.get("LANLAB_NODE") == "router":
        forwarding = open("/proc/sys/net/ipv4/ip_forward").read().strip()
        return 0 if forwarding == "1" else 1
    gateway = node.default_gateway(node.routes())
    if gateway is None or not node.can_ping(gateway):
        print(f"gateway {gateway} does not answer", file=sys.stderr)
        return 1
    return 0
