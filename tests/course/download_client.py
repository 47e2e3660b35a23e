# STAND-IN for the course's own script: we do not have the original, so this is a faithful
# classic version of what a socket-programming course hands out. Only SERVER_IP is meant to
# change. The lab tests run it, unchanged otherwise, against lanlab's file server.
#
# TCP download client: send the file name, then read until the server closes.
from socket import *

SERVER_IP = "192.168.13.100"
SERVER_PORT = 9090

filename = input("File name: ")
clientSocket = socket(AF_INET, SOCK_STREAM)
clientSocket.connect((SERVER_IP, SERVER_PORT))
clientSocket.send(filename.encode())

received = 0
with open(filename, "wb") as f:
    while True:
        data = clientSocket.recv(1024)
        if not data:
            break
        f.write(data)
        received += len(data)
clientSocket.close()
print("Received", received, "bytes into", filename)
