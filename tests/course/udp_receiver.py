# STAND-IN for the course's own script: we do not have the original, so this is a faithful
# classic version of what a socket-programming course hands out. Only the address is meant to
# change (here: which local address to listen on). The lab tests run it against `chat send`.
#
# UDP receiver: print every datagram and who sent it.
from socket import *

LISTEN_IP = ""
LISTEN_PORT = 9090

serverSocket = socket(AF_INET, SOCK_DGRAM)
serverSocket.bind((LISTEN_IP, LISTEN_PORT))
print("The receiver is ready on port", LISTEN_PORT)
while True:
    message, clientAddress = serverSocket.recvfrom(1024)
    print("From", clientAddress, ":", message.decode())
