"""Connect to HOST:PORT, send TEXT, print the reply.

    python3 client.py HOST PORT TEXT
"""
import socket
import sys

host, port, text = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
with socket.create_connection((host, port), timeout=10) as sock:
    sock.sendall(text)
    reply = b""
    while len(reply) < len(text):           # TCP is a stream: the echo may come in pieces
        data = sock.recv(4096)
        if not data:
            break
        reply += data
print(reply.decode(errors="replace"))
