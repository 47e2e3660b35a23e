"""Print every UDP datagram that arrives on PORT, with who sent it.

    python3 receiver.py PORT
"""
import socket
import sys

port = int(sys.argv[1])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("", port))                       # every address of this host
print(f"listening on UDP {port}", flush=True)
while True:
    data, (address, sender_port) = sock.recvfrom(65535)    # one datagram, whole
    print(f"{address}:{sender_port} says {data.decode(errors='replace')}", flush=True)
