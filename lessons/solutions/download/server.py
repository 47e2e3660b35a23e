"""Serve the files of DIR in the bare form: a client sends a name, gets the file's bytes,
and the connection closes. Nothing outside DIR is ever sent.

    python3 server.py PORT DIR
"""
import os
import socket
import sys

port, folder = int(sys.argv[1]), os.path.realpath(sys.argv[2])


def inside(name):
    """The file's real path if it lies in the folder, else None (.., /etc/passwd, links out)."""
    path = os.path.realpath(os.path.join(folder, name))
    return path if path.startswith(folder + os.sep) and os.path.isfile(path) else None


server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("", port))
server.listen(16)
while True:
    client, address = server.accept()
    with client:
        name = client.recv(1024).decode(errors="replace").strip()
        path = inside(name)
        print(f"{address[0]} asks for {name!r}: {'sent' if path else 'refused'}", flush=True)
        if path:
            with open(path, "rb") as file:
                while (chunk := file.read(65536)):
                    client.sendall(chunk)
