# STAND-IN for the course's own script: we do not have the original, so this is a faithful
# classic version of what a socket-programming course hands out. Only PEER_IP is meant to
# change. The lab tests run it, unchanged otherwise, against `chat NAME` and the listener.
#
# Threaded UDP chat: one thread receives and prints, the main thread reads the keyboard
# and sends; "exit" ends. Both ends use port 9090.
import threading
from socket import *

PEER_IP = "192.168.13.18"
PORT = 9090

sock = socket(AF_INET, SOCK_DGRAM)
sock.bind(("", PORT))


def receive():
    while True:
        try:
            message, address = sock.recvfrom(1024)
        except OSError:
            break
        print(address[0], ">", message.decode())


threading.Thread(target=receive, daemon=True).start()
print("Chatting with", PEER_IP, "- type exit to end")
while True:
    try:
        line = input()
    except EOFError:
        break
    if line == "exit":
        break
    sock.sendto(line.encode(), (PEER_IP, PORT))
sock.close()
