"""Link conditions inside a node: the delay program (nfnetlink_queue, pure Python) and
the commands that set loss, rate and delay on one interface (lanlab/control/links.py
drives them from the host)."""
