"""Download NAME from a server speaking the bare form (send the name, then read until the
server closes) into OUT.

    python3 client.py HOST PORT NAME OUT
"""
import socket
import sys

host, port, name, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
total = 0
with socket.create_connection((host, port), timeout=30) as sock, open(out, "wb") as file:
    sock.sendall(name.encode())
    while True:
        piece = sock.recv(65536)            # whatever has arrived, up to 64 KiB
        if not piece:                       # b"": the server closed: that was all
            break
        file.write(piece)
        total += len(piece)
print(f"{total} bytes into {out}")
