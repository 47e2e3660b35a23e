"""lanlab's DHCPv4 server (RFC 2131, options RFC 2132, relay agent info RFC 3046).

    codec.py     the wire format: bytes <-> frozen Message, the option table as data
    config.py    the configuration file (dhcp/dhcp.toml), and render_toml(plan)
    handler.py   the pure handler: a request and the time -> replies and lease changes
    program.py   the dhcp container's server: sockets, the loop, the lease store, DNS queue
    leases.py    the durable lease store (journal + snapshot, group commit with fsync);
                 `python -m lanlab.dhcp.leases DIR` prints the leases (make leases)
    dnsq.py      the background queue that keeps DNS in step with leases
    ddns.py      the RFC 2136 update client (TSIG, RFC 8945) the queue sends with
    probe.py     the zero-length path probe hosts, relay and server share
    sockets.py   the UDP sockets, batched receive and bounded log the programs share

The relay is the router's (lanlab/router/); the client is the host's (lanlab/host/).
"""


