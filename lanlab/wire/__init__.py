"""Watching the wire: capture every network, decode frames, draw the hop-by-hop ladder.

capture.py  the capture container (tcpdump on each network's host-side bridge)
decode.py   pcap records -> frames (scapy)
frames.py   the trace JSON, the contract other tools read (docs/wire.md)
ladder.py   events -> rows -> text; svg.py draws the same rows as a picture
choose.py   which lab, networks and node a command names (one-line errors)
live.py     `make capture` (and Follower: frames of a running capture as they come)
trace.py    `make trace` and `make show`
"""
