"""The little I/O the DHCP programs share: UDP sockets, batched receive."""
from __future__ import annotations

import socket
import struct

BATCH = 256  # packets handled (and committed to disk) together at most
RECEIVE_BUFFER = 1 << 20
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)  # Linux; Python does not name it


def udp_socket(port: int, device: str | None = None, address: str = "") -> socket.socket:
    """A UDP socket on `port` that may send broadcasts; bound to one interface if `device`."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    try:  # past net.core.rmem_max if we may (CAP_NET_ADMIN): bursts wait, not drop
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RECEIVE_BUFFER)
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
    if device:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, device.encode())
    sock.bind((address, port))
    sock.setblocking(False)
    return sock


def receive_batch(sock: socket.socket, limit: int = BATCH) -> list[tuple[bytes, tuple]]:
    """Up to `limit` datagrams. The first read waits as the socket does (not at all if it
    is non-blocking, up to SO_RCVTIMEO if it is blocking: see wait_at_most); the rest
    take only what is already there. One system call per datagram, one more per batch."""
    batch = []
    try:
        batch.append(sock.recvfrom(65535))
        while len(batch) < limit:
            batch.append(sock.recvfrom(65535, socket.MSG_DONTWAIT))
    except (BlockingIOError, InterruptedError):
        pass
    return batch


def wait_at_most(sock: socket.socket, seconds: float) -> None:
    """Make `sock` blocking, with reads that give up after `seconds` (SO_RCVTIMEO): a
    loop can then sleep in recvfrom itself instead of in select() and then recvfrom."""
    sock.setblocking(True)
    whole = int(seconds)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO,
                    struct.pack("ll", whole, int((seconds - whole) * 1e6)))


def send(sock: socket.socket, data: bytes, address: str, port: int) -> str:
    """Send; an error (no route, buffer full) is a log line, never an exception."""
    try:
        sock.sendto(data, (address, port))
        return ""
    except OSError as error:
        return f"cannot send to {address}:{port}: {error.strerror or error}"
