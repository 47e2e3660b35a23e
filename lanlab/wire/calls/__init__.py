"""Socket calls next to the frames they cause (docs/wire.md, "Call events").

hook.py    the start-up hook a traced Python program runs: file and line of each call
agent.py   runs in a node: the command under strace, strace attached to a server
strace.py  strace's output read into syscalls
events.py  syscalls (and the hook's marks) into call events
record.py  the host side: copy the agent in, run it, read its answer
"""
