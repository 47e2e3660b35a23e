"""Ask the lab's DNS (through this host's resolver) for a name's address.

    python3 lookup.py NAME
"""
import socket
import sys

name = sys.argv[1]
try:
    print(socket.gethostbyname(name))
except socket.gaierror as error:
    print(f"{name}: no address ({error.strerror})")
    sys.exit(1)
