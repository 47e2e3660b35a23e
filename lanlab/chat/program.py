"""The chat listener: every host listens on UDP 9090 from its start.

Each datagram becomes one line, on the container's log (`docker logs`, stdout) and in
/var/log/lanlab/chat.log with the time:

    chat: alice.lab.internal (192.168.7.20 port 9090): hello

The sender's name comes from reverse DNS (lanlab.chat.names: bounded, cached); the text from
the message rules (lanlab.chat.handler: escaped, cut, one line). At most 50 lines a second
are shown; the rest are counted in one line, so a flood costs neither the log's disk nor the
listener's life. Nothing that arrives can stop the loop.

The socket has SO_REUSEPORT so that `chat` can send from port 9090 too (the course's way:
both ends on 9090); a `chat NAME` session connects its socket to the peer, and Linux then
gives it that peer's datagrams while the listener keeps everything else.

`chat pause [SECONDS]` frees UDP 9090 for a program that binds it without SO_REUSEPORT (the
course's receiver and chat scripts): it writes a deadline to /run/lanlab/chat.pause, which
the listener reads at least once a second; `chat resume` removes it.
"""
from __future__ import annotations

import os
import socket
import sys
import threading
import time
from errno import EBADF

from lanlab import contracts
from lanlab.chat import handler as message
from lanlab.chat.names import Names

PAUSE = contracts.CHAT_PAUSE
LOG = os.environ.get("LANLAB_CHAT_LOG", contracts.CHAT_LOG)
LOG_LIMIT = 5 * 2**20
CHECK_EVERY = 1.0


def note(text: str) -> None:
    print(f"chat: {text}", file=sys.stderr, flush=True)


def chat_socket(host: str = "0.0.0.0", port: int = message.PORT) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def paused_until(path=None) -> float:
    """The wall-clock time until which the listener stays off, or 0."""
    try:
        with open(path or PAUSE) as pause:
            return float(pause.read().strip() or 0)
    except (OSError, ValueError):
        return 0.0


def unpause(path=None) -> None:
    try:
        os.unlink(path or PAUSE)
    except FileNotFoundError:
        pass


def pause(until: float, path=None) -> None:
    path = path or PAUSE
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as out:
        out.write(f"{until:.3f}\n")


class LogFile:
    """Lines with their time, appended; past LOG_LIMIT bytes the file moves to .1.
    (os.path, not pathlib: every host runs this, and pathlib costs each a MiB.)"""

    def __init__(self, path=LOG, limit: int = LOG_LIMIT):
        self.path, self.limit = os.fspath(path), limit
        os.makedirs(os.path.dirname(self.path), exist_ok=True)

    def write(self, line: str) -> None:
        try:
            if os.path.exists(self.path) and os.path.getsize(self.path) > self.limit:
                os.replace(self.path, self.path + ".1")
            with open(self.path, "a", encoding="utf-8") as out:
                out.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {line}\n")
        except OSError as error:
            note(f"cannot write {self.path}: {error.strerror}")


class Listener:
    def __init__(self, host: str = "0.0.0.0", port: int = message.PORT, names: Names | None = None,
                 out=None, log: LogFile | None = None, pause=None):
        self.address = (host, port)
        self.names = names or Names()
        self.out = out
        self.log = log or LogFile()
        self.pause = pause or PAUSE
        self.flood = message.Flood()
        self.sock: socket.socket | None = None
        self.stopped = threading.Event()
        self.waiting = False

    def bind(self) -> None:
        self.sock = chat_socket(*self.address)
        note(f"listening on UDP {self.address[0]}:{self.sock.getsockname()[1]}")

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="chat-listener", daemon=True)
        thread.start()
        return thread

    def run(self) -> None:
        while not self.stopped.is_set():
            if self.sock is None:
                self.bind_again()
                continue
            try:
                self.serve()
            except OSError as error:  # the socket itself is gone: take the port again
                note(f"the socket failed ({error.strerror or error}); binding a new one")
                self.sock = None
                continue
            if paused_until(self.pause) > time.time():
                self.wait_while_paused()

    def serve(self) -> None:
        """Receive until a pause is asked for (or the listener is stopped)."""
        self.sock.settimeout(CHECK_EVERY)
        checked = time.monotonic()
        while not self.stopped.is_set():
            if time.monotonic() - checked >= CHECK_EVERY:
                checked = time.monotonic()
                if paused_until(self.pause) > time.time():
                    return
            try:
                data, sender = self.sock.recvfrom(65536)
            except TimeoutError:
                self.say_missed()
                continue
            except OSError as error:  # e.g. an ICMP error queued on the socket
                if error.errno == EBADF:  # the socket is gone: run() binds a new one
                    raise
                note(f"receive failed ({error}); going on")
                continue
            try:
                self.handle(data, sender)
            except Exception as error:
                note(f"could not show a datagram from {sender[0]}: {error!r}")

    def handle(self, data: bytes, sender: tuple[str, int]) -> None:
        if not self.flood.allow(time.monotonic()):
            return
        self.say_missed()
        name = self.names.name_of(sender[0])
        self.emit(message.format_line(name, sender[0], sender[1], message.show(data)))

    def say_missed(self) -> None:
        missed = self.flood.missed()
        if missed:
            self.emit(f"{missed} messages not shown (more than {self.flood.rate:.0f} a second)")

    def emit(self, line: str) -> None:
        try:
            print(f"chat: {line}", file=self.out or sys.stdout, flush=True)
        except (OSError, ValueError):
            pass
        self.log.write(line)

    def wait_while_paused(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = None
        until = paused_until(self.pause)
        note(f"paused until {time.strftime('%H:%M:%S', time.localtime(until))} (chat pause): UDP 9090 is free")
        while not self.stopped.is_set() and paused_until(self.pause) > time.time():
            time.sleep(0.2)
        unpause(self.pause)

    def bind_again(self) -> None:
        try:
            self.bind()
            self.waiting = False
        except OSError as error:
            if not self.waiting:
                note(f"cannot take UDP {self.address[1]} back yet ({error.strerror}); retrying every 2 s")
            self.waiting = True
            self.stopped.wait(2.0)

    def stop(self) -> None:
        self.stopped.set()


def start(**options) -> Listener:
    """Bind now (a ready host is a listening host), then receive in a thread.
    If the port is taken, the thread keeps trying: the host starts all the same."""
    listener = Listener(**options)
    try:
        listener.bind()
    except OSError as error:
        note(f"UDP {listener.address[1]} is taken ({error.strerror}); will retry")
    listener.start()
    return listener
