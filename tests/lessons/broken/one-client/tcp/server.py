# Broken on purpose: serves the first client, then the program ends.
import socket
import sys

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind(("", int(sys.argv[1])))
server.listen(1)
client, _ = server.accept()
while (data := client.recv(4096)):
    client.sendall(data)
client.close()
server.close()
