# Broken on purpose: no lock. Between looking at the counter and changing it another
# thread looks too (the short sleep stands for any work there), so tickets sell twice.
import socket
import sys
import threading
import time

port, count = int(sys.argv[1]), int(sys.argv[2])
sold = 0


def sell(client):
    global sold
    with client:
        client.recv(100)
        if sold < count:
            number = sold + 1
            time.sleep(0.01)
            sold = number
            client.sendall(f"OK {number}\n".encode())
        else:
            client.sendall(b"SOLD OUT\n")


server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("", port))
server.listen(512)
while True:
    client, _ = server.accept()
    threading.Thread(target=sell, args=(client,)).start()
