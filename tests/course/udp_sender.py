# STAND-IN for the course's own script: we do not have the original, so this is a faithful
# classic version of what a socket-programming course hands out. Only SERVER_IP is meant to
# change. The lab tests run it, unchanged otherwise, against lanlab's chat listener.
#
# UDP sender: each line typed is sent as one datagram; "exit" ends.
from socket import *

SERVER_IP = "192.168.7.20"
SERVER_PORT = 9090

clientSocket = socket(AF_INET, SOCK_DGRAM)
while True:
    try:
        message = input("Message: ")
    except EOFError:
        break
    if message == "exit":
        break
    clientSocket.sendto(message.encode(), (SERVER_IP, SERVER_PORT))
clientSocket.close()
