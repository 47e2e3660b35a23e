"""The delay program: `python3 -m lanlab.link.program QUEUE DELAY_MS`, run inside a node.

An iptables rule sends the interface's outgoing packets to nfnetlink_queue QUEUE
(`-j NFQUEUE --queue-num QUEUE --queue-bypass`); this program binds that queue over an
AF_NETLINK socket (lanlab/link/codec.py builds and reads every message), holds each packet
DELAY_MS milliseconds (lanlab/link/handler.py) and accepts it. Only metadata is copied
to us, never the payload. The queue fails open: when it is full the kernel accepts. With
--queue-bypass, packets pass undelayed whenever no program is bound (it was stopped).

Works on every kernel with nfnetlink_queue, with or without netem. SIGTERM accepts every
packet still held, then exits.
"""
from __future__ import annotations

import errno
import os
import select
import signal
import socket
import sys
import time

from lanlab.link import codec
from lanlab.link.handler import Hold

SOL_NETLINK, NETLINK_NO_ENOBUFS = 270, 5
RECEIVE_BUFFER = 4 << 20
QUEUE_LENGTH = 8192
RUN = os.environ.get("LANLAB_RUN", "/run/lanlab")


class Stop(Exception):
    pass


def pid_path(queue: int) -> str:
    """Where the program of QUEUE writes its pid (lanlab/link/apply.py stops it)."""
    return os.path.join(RUN, f"delay-{queue}.pid")


def open_queue(queue: int) -> socket.socket:
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, codec.NETLINK_NETFILTER)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
    sock.setsockopt(SOL_NETLINK, NETLINK_NO_ENOBUFS, 1)
    sock.bind((0, 0))
    for seq, request in enumerate((codec.config_bind(queue, 1), codec.config_params(queue, 2),
                                   codec.config_flags(queue, 3), codec.config_maxlen(queue, 4, QUEUE_LENGTH)), 1):
        sock.send(request)
        wait_ack(sock, seq)
    return sock


def wait_ack(sock: socket.socket, seq: int) -> None:
    for reply in codec.parse(sock.recv(65536)):
        if reply.seq == seq and reply.error is not None:
            if reply.error:
                raise OSError(-reply.error, f"nfnetlink_queue refused request {seq}: {os.strerror(-reply.error)}")
            return
    raise OSError(errno.EPROTO, f"no acknowledgement for request {seq}")


def receive(sock: socket.socket, hold: Hold) -> None:
    try:
        data = sock.recv(1 << 16)
    except OSError as error:
        if error.errno in (errno.ENOBUFS, errno.EINTR):
            return
        raise
    now = time.monotonic()
    try:
        messages = codec.parse(data)
    except codec.NetlinkError as error:   # a later batch verdict still releases its packets
        print(f"lanlab: delay: skipped a datagram: {error}", file=sys.stderr)
        return
    for message in messages:
        if message.type == codec.NFQNL_MSG_PACKET:
            hold.add(message.packet_id, now)


def release(sock: socket.socket, queue: int, packet_id: int) -> None:
    sock.send(codec.verdict(queue, packet_id, codec.NF_ACCEPT, 0, batch=True))


def serve(sock: socket.socket, queue: int, delay: float) -> None:
    hold = Hold(delay)
    try:
        while True:
            readable, _, _ = select.select([sock], [], [], hold.timeout(time.monotonic()))
            if readable:
                receive(sock, hold)
            last = hold.due(time.monotonic())
            if last is not None:
                release(sock, queue, last)
    except Stop:
        last = hold.due(float("inf"))
        if last is not None:
            release(sock, queue, last)


def stop(signum, frame):
    raise Stop()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        queue, delay_ms = int(args[0]), float(args[1])
    except (IndexError, ValueError):
        print("usage: python3 -m lanlab.link.program QUEUE DELAY_MS", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, stop)
    try:
        sock = open_queue(queue)
        os.makedirs(RUN, exist_ok=True)
        with open(pid_path(queue), "w") as out:     # written once the queue is bound
            out.write(f"{os.getpid()}\n")
        serve(sock, queue, delay_ms / 1000)
    except (OSError, codec.NetlinkError) as error:
        print(f"lanlab: error: delay on queue {queue}: {error}", file=sys.stderr)
        return 1
    finally:
        if os.path.exists(pid_path(queue)):
            os.remove(pid_path(queue))
    return 0


if __name__ == "__main__":
    sys.exit(main())
