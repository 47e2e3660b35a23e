"""The hosts' programs, started once a host's network is up (lanlab/host/program.py).

Every host listens for chat on UDP 9090; the host whose LANLAB_ROLE is `files` also serves
/srv/files on TCP 9090. Both run as threads of the host's one process rather than as
processes of their own: one Python interpreter per host keeps an idle host small (the
scaled labs count its memory). Each binds before this returns, so a host that says ready
is listening; a server that cannot bind says so in the log and keeps trying or stays off,
and the host starts all the same.
"""
from __future__ import annotations

import os

from lanlab.host import ready


def start(env=None) -> None:
    """`env` is a mapping like os.environ (the default). No `typing` import here: it would
    cost every host half a MiB."""
    env = os.environ if env is None else env
    from lanlab.chat import program as listener
    listener.start()
    if env.get("LANLAB_ROLE") == "files":
        from lanlab.files import program as server
        try:
            server.start(env.get("LANLAB_FILES_ROOT", server.ROOT))
        except OSError as error:
            ready.log(f"error: the file server cannot listen on TCP 9090: {error.strerror}")
