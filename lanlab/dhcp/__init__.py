"""lanlab's DHCPv4 server and relay (RFC 2131, options RFC 2132, relay agent info RFC 3046).

    codec    the wire format: bytes <-> frozen Message, the option table as data
    config   the one readable configuration file (dhcp/dhcp.toml), and render_toml(plan)
    server   the pure handler: a request and the time -> replies and lease changes
    leases   the durable lease store (journal + snapshot, group commit with fsync)
    relay    the pure relay logic (giaddr, hops, option 82)
    loops    the thin socket programs the dhcp container and the router run
    dnsq     the background queue that keeps DNS in step with leases (lanlab.ddns)

Only `loops` and `dnsq` do I/O on sockets; `leases` does file I/O and nothing else.
"""


def client_id_for(hostname: str) -> bytes:
    """The stable client identifier (option 61) lab hosts send: type 0 and the host name
    (RFC 2132 9.14), so a host keeps its lease when Docker gives it a new MAC. Here, with
    no imports, because every host imports it (lanlab/host/dhcp_client.py) and memory counts."""
    return b"\x00" + hostname.encode("ascii")
