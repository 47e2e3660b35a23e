"""A lab host's start: its address, mask, gateway and DNS by DHCP (busybox udhcpc,
see lanlab/dhcp/client.py), ready once the lease is held; udhcpc then keeps renewing."""
import os
import sys
import time

from lanlab import node
from lanlab import programs  # the hosts' programs: chat listener, file server
from lanlab.dhcp import client


def main() -> int:
    started = time.monotonic()
    node.clear_ready()
    hostname = os.environ.get("LANLAB_NODE") or os.uname().nodename
    try:
        process, interface = client.boot(os.environ["LANLAB_SUBNET"], hostname)
    except node.NodeError as error:
        node.log(f"error: {error}")
        return 1
    programs.start()
    node.mark_ready(started)
    client.keep_renewing(process, interface, hostname)
    return 0


if __name__ == "__main__":
    sys.exit(main())
