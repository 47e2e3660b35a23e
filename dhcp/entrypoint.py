"""The dhcp container's start: the route through the router, then lanlab's DHCP server
(lanlab.dhcp.program) with the configuration in dhcp.toml (or $LANLAB_DHCP_CONFIG).
Ready once the server listens. It does not wait for the router first: the server
listening early is what lets the hosts' first DISCOVER be answered; the healthcheck
(lanlab-health) checks the gateway all the same."""
import sys

from lanlab.dhcp import program
from lanlab.host import node

if __name__ == "__main__":
    sys.exit(node.serve_on_subnet(lambda ready: program.main([], ready=ready)))
