# Broken on purpose: prints what arrives but not who sent it.
import socket
import sys

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("", int(sys.argv[1])))
while True:
    data, _ = sock.recvfrom(65535)
    print(data.decode(errors="replace"), flush=True)
