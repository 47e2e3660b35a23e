"""A ticket office: COUNT tickets, one thread per TCP client. A client sends BUY and gets
`OK <n>` (each n from 1 to COUNT once) or `SOLD OUT`.

    python3 tickets.py PORT COUNT
"""
import socket
import sys
import threading

port, count = int(sys.argv[1]), int(sys.argv[2])
sold = 0
lock = threading.Lock()


def sell(client):
    global sold
    with client:
        if client.recv(100).strip() != b"BUY":
            client.sendall(b"say BUY\n")
            return
        with lock:                          # look at the counter and change it: one step
            if sold < count:
                sold += 1
                number = sold
            else:
                number = None
        client.sendall(f"OK {number}\n".encode() if number else b"SOLD OUT\n")


server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("", port))
server.listen(512)
while True:
    client, _ = server.accept()
    threading.Thread(target=sell, args=(client,), daemon=True).start()
