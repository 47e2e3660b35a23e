"""The file service on TCP 9090 of `files`: the protocol (no I/O), the server, `fetch`.

    handler.py   request and status lines, the path refusal table (pure)
    program.py   serves /srv/files read-only, one thread per client, sendfile
    fetch.py     the `fetch HOST:NAME [-o OUT]` client
"""
