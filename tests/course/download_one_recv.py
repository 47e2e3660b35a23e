# STAND-IN for the course's own script: we do not have the original, so this is a faithful
# classic version of the first download client a learner writes: one recv(1024), as if one
# call read the whole answer. Only SERVER_IP is meant to change. The lab tests trace it to
# show that one recv reads at most 1024 bytes, whatever the server sent.
from socket import *

SERVER_IP = "192.168.13.100"
SERVER_PORT = 9090

filename = input("File name: ")
clientSocket = socket(AF_INET, SOCK_STREAM)
clientSocket.connect((SERVER_IP, SERVER_PORT))
clientSocket.send(filename.encode())
data = clientSocket.recv(1024)
print("Received", len(data), "bytes")
clientSocket.close()
