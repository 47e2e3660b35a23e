"""The dhcp container's start: its static address on svc and the route through the router,
then lanlab's DHCP server (lanlab.dhcp.program) with the configuration in dhcp.toml
(or $LANLAB_DHCP_CONFIG). Ready once the server listens. It does not wait for the router
first: the server listening early is what lets the hosts' first DISCOVER be answered;
the healthcheck (lanlab-health) checks the gateway all the same."""
import os
import sys
import time

from lanlab.host import node, ready
from lanlab.dhcp import program


def main() -> int:
    started = time.monotonic()
    ready.clear_ready()
    try:
        node.route_via_router(os.environ["LANLAB_SUBNET"])
    except node.NodeError as error:
        ready.log(f"error: {error}")
        return 1
    return program.main([], ready=lambda: ready.mark_ready(started))


if __name__ == "__main__":
    sys.exit(main())
