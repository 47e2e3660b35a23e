"""A two-thread UDP chat: lines you type go to PEER:PEER_PORT, datagrams that arrive on
PORT are printed. A line `exit` ends it.

    python3 chat.py PORT PEER PEER_PORT
"""
import socket
import sys
import threading

port, peer, peer_port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("", port))


def receive():
    while True:
        data, (address, _) = sock.recvfrom(65535)
        print(f"{address}> {data.decode(errors='replace')}", flush=True)


# A daemon thread does not keep the program alive: when the main thread ends, so does it.
threading.Thread(target=receive, daemon=True).start()
for line in sys.stdin:
    line = line.rstrip("\n")
    if line == "exit":
        break
    sock.sendto(line.encode(), (peer, peer_port))
