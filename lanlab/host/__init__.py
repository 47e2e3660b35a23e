"""A lab host's start, and what every lab container shares at its start.

    program.py      a host's one process: the DHCP boot, its programs, ready, udhcpc kept
                    running (nodes/entrypoint.py calls it)
    dhcp_client.py  the DHCP boot: busybox udhcpc with nodes/udhcpc.script, path probes,
                    the interface found by ioctl
    programs.py     the host's programs as threads: the chat listener, the file server
    selfname.py     one DNS question: does my name resolve to my address yet?
    node.py         every container: interfaces by subnet (`ip -j`), routes, the servers'
                    start (serve_on_subnet)
    ready.py        every container: the ready marker and line (lanlab/contracts.py)
"""
