"""The UDP chat on port 9090 of every host: message rules (no I/O), names, listener, `chat`.

    handler.py   datagram bytes -> one safe display line; text -> datagram; the flood brake
    names.py     the sender's name by reverse DNS, bounded in time and threads
    program.py   every host's UDP 9090 listener: container log and /var/log/lanlab/chat.log
    cli.py       the `chat` command: talk, send, broadcast, pause, resume
"""
