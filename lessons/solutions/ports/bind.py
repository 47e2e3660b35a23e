"""Try to listen on TCP PORT, and say what happened.

    python3 bind.py PORT
"""
import socket
import sys

port = int(sys.argv[1])
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    sock.bind(("", port))
    sock.listen()
    print(f"bound {port}")
except OSError as error:          # PermissionError below 1024, "Address already in use"...
    print(f"refused {port}: {error}")
finally:
    sock.close()
