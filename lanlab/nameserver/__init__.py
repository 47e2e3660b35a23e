"""lanlab's authoritative DNS server (the `dns` container, .3 on svc).

Not named `dns`: a folder of that name must never shadow dnspython, which this builds on.

    config.py    the configuration file (dns/lab.toml), and render_config(plan)
    zones.py     zones in memory: names -> RRsets, SOA serial, fixed names
    handler.py   the pure handler: request bytes -> reply bytes or None (RFC 1034/1035,
                 EDNS0 RFC 6891, negative answers RFC 2308, TSIG RFC 8945), reply cache
    update.py    RFC 2136 UPDATE applied atomically to a copy of a zone
    keys.py      the TSIG key file (BIND format), made at the first start
    disk.py      zone files in /var/lib/lanlab/dns, rewritten after every change
    program.py   the sockets: UDP and TCP, one selectors loop that never dies

lanlab.dhcp.ddns is the client the DHCP server uses to send signed updates.
"""
