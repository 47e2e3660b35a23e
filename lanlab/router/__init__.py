"""The router container: forwarding set-up and the DHCP relay.

    handler.py   the pure relay logic: giaddr, hops, option 82 (RFC 2131, RFC 1542, RFC 3046)
    program.py   the router's start and the relay's sockets (one per interface)
"""
