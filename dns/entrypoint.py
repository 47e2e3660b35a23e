"""The dns container's start: route through the router, then serve DNS on port 53.
It does not wait for the router first (the healthcheck, lanlab-health, checks the
gateway): names are served as soon as anything can reach the server.

The configuration is env LANLAB_DNS_CONFIG, or lab.toml next to this file. The TSIG key
is made in /var/lib/lanlab/keys at the first start (lanlab/nameserver/keys.py); the
zones are kept in /var/lib/lanlab/dns (lanlab/nameserver/disk.py).
"""
import os
import sys
import time
from pathlib import Path

from lanlab.host import node, ready
from lanlab.nameserver import program

CONFIG = Path(__file__).with_name("lab.toml")


def main() -> int:
    started = time.monotonic()
    ready.clear_ready()
    try:
        node.route_via_router(os.environ["LANLAB_SUBNET"])
    except node.NodeError as error:
        ready.log(f"error: {error}")
        return 1
    config = os.environ.get("LANLAB_DNS_CONFIG") or CONFIG
    return program.run(config, ready=lambda: ready.mark_ready(started))


if __name__ == "__main__":
    sys.exit(main())
