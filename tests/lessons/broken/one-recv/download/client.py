# Broken on purpose, the classic bug: one recv(1024) taken for the whole file.
import socket
import sys

host, port, name, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.connect((host, port))
sock.send(name.encode())
data = sock.recv(1024)
with open(out, "wb") as file:
    file.write(data)
sock.close()
