"""An echo server: accept one client after the other, forever, and send back every
message each one sends until it closes.

    python3 server.py PORT
"""
import socket
import sys

port = int(sys.argv[1])
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # restart at once after a stop
server.bind(("", port))
server.listen(16)
print(f"echo server on TCP {port}", flush=True)
while True:
    client, address = server.accept()
    print(f"client {address[0]}:{address[1]}", flush=True)
    with client:
        while True:
            data = client.recv(4096)
            if not data:                    # the client closed its side
                break
            client.sendall(data)
