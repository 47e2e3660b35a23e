"""The router's start: no default route (nothing leaves the lab), software checksums on
every interface (real DHCP clients drop unfilled ones), then the DHCP relay."""
import os
import sys
import time

from lanlab.host import node
from lanlab.dhcp import relay_loop


def main() -> int:
    started = time.monotonic()
    node.clear_ready()
    node.drop_default_route()
    for interface in node.interfaces():
        node.checksum_offload_off(interface.name)
        node.log(f"{interface.name} {', '.join(map(str, interface.addresses))}")
    try:
        relay_loop.start(os.environ["LANLAB_DHCP_SERVER"])
    except (KeyError, node.NodeError, OSError) as error:
        node.log(f"error: the DHCP relay cannot start: {error}")
        return 1
    node.mark_ready(started)
    node.sleep_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
