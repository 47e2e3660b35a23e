"""Send TEXT to HOST:PORT in one UDP datagram. HOST may be a name or an address.

    python3 sender.py HOST PORT TEXT
"""
import socket
import sys

host, port, text = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.sendto(text.encode(), (host, port))    # the name is resolved here, by DNS
sock.close()
