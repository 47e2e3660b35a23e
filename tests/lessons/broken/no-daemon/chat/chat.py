# Broken on purpose: the receiving thread is not a daemon, so `exit` ends the main
# thread but the program stays, waiting in recvfrom forever.
import socket
import sys
import threading

port, peer, peer_port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("", port))


def receive():
    while True:
        data, (address, _) = sock.recvfrom(65535)
        print(address, data.decode(errors="replace"), flush=True)


threading.Thread(target=receive).start()
for line in sys.stdin:
    if line.strip() == "exit":
        break
    sock.sendto(line.strip().encode(), (peer, peer_port))
