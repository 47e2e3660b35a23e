"""The dns container's start: the route through the router, then DNS on port 53
(lanlab.nameserver.program). It does not wait for the router first (the healthcheck,
lanlab-health, checks the gateway): names are served as soon as anything can reach it.

The configuration is env LANLAB_DNS_CONFIG, or lab.toml next to this file. The TSIG key
is made in the tsig volume at the first start (lanlab/nameserver/keys.py); the zones are
kept in the dns-records volume (lanlab/nameserver/disk.py); paths in lanlab/contracts.py.
"""
import os
import sys
from pathlib import Path

from lanlab.host import node
from lanlab.nameserver import program

CONFIG = Path(__file__).with_name("lab.toml")

if __name__ == "__main__":
    config = os.environ.get("LANLAB_DNS_CONFIG") or CONFIG
    sys.exit(node.serve_on_subnet(lambda ready: program.run(config, ready=ready)))
