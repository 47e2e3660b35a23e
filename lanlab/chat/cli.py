"""`chat`: talk over UDP 9090, the course's way.

    chat NAME                 talk with NAME: what you type is sent, what NAME sends is shown;
                              a line `exit` (or end of input) ends
    chat send NAME MESSAGE    send one message to NAME
    chat broadcast MESSAGE    send one message to every host on this subnet
    chat pause [SECONDS]      free UDP 9090 for a while (default 60 s), for a program that
                              binds it itself, such as the course's receiver or chat script
    chat resume               give UDP 9090 back to the listener now

NAME is a host name (resolved by the lab's DNS) or an address. Messages go from port 9090
when it can be shared (the listener allows it), so replies come back to 9090 as the course's
scripts expect. `chat NAME` has two threads: the main one reads the keyboard and sends, the
other receives and prints. The broadcast address is computed from this host's own address
and mask (the address OR the inverted mask); a router does not forward it, so it reaches
this subnet only.

Errors are one line on stderr and exit status 1 (2 for a usage mistake).
"""
from __future__ import annotations

import ipaddress
import socket
import sys
import threading
import time

from lanlab import exits
from lanlab.host import node, ready
from lanlab.chat import handler as message
from lanlab.chat import program as listener
from lanlab.chat.handler import PORT

USAGE = __doc__.split("\n\n")[1]


class ChatError(Exception):
    """A chat command that cannot be done; the text says why in one line."""


def resolve(name: str) -> str:
    try:
        return socket.getaddrinfo(name, PORT, socket.AF_INET, socket.SOCK_DGRAM)[0][4][0]
    except socket.gaierror as error:
        raise ChatError(f"cannot resolve {name}: {error.strerror}") from None


def sender(address: str, broadcast: bool = False) -> socket.socket:
    """A socket from port 9090 if it can be shared, else from any port, connected to
    `address`: connected, it takes only that peer's datagrams, never the listener's."""
    try:
        sock = listener.chat_socket("0.0.0.0", PORT)
    except OSError:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if broadcast:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    try:
        sock.connect((address, PORT))
    except OSError as error:
        sock.close()
        raise ChatError(f"cannot send to {address}: {error.strerror}") from None
    if sock.getsockname() == sock.getpeername():
        # Talking to itself: a socket connected to its own address would take its own
        # datagrams away from the listener. Send from another port.
        sock.close()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.connect((address, PORT))
    return sock


def send_one(address: str, text: str, broadcast: bool = False) -> None:
    data = encode(text)
    with sender(address, broadcast) as sock:
        try:
            sock.send(data)
        except OSError as error:
            raise ChatError(f"cannot send to {address}: {error.strerror}") from None


def encode(text: str) -> bytes:
    try:
        return message.encode(text)
    except message.MessageError as error:
        raise ChatError(str(error)) from None


def own_broadcast() -> ipaddress.IPv4Address:
    """This host's subnet broadcast: from the address on the interface toward the gateway."""
    interfaces = node.interfaces()
    gateway = node.default_gateway(node.routes())
    addresses = [a for i in interfaces for a in i.addresses]
    for address in addresses:
        if gateway and ipaddress.ip_address(gateway) in address.network:
            return message.broadcast_address(address)
    if addresses:
        return message.broadcast_address(addresses[0])
    raise ChatError("this host has no IPv4 address; is its network up?")


# --- the interactive session ------------------------------------------------------

def receive_loop(sock: socket.socket, name: str, done: threading.Event, out=sys.stdout) -> None:
    sock.settimeout(0.5)
    told = False
    while not done.is_set():
        try:
            data = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionRefusedError:
            if not told:
                print(f"chat: {name} is not listening on UDP {PORT} (port unreachable)", file=out, flush=True)
            told = True
            continue
        except OSError:
            return
        print(f"{name}: {message.show(data).line()}", file=out, flush=True)


def talk(name: str, keyboard=None, out=sys.stdout) -> None:
    address = resolve(name)
    sock = sender(address)
    port = sock.getsockname()[1]
    print(f"chat: talking with {name} ({address}) from UDP port {port}; type `exit` to end", file=out, flush=True)
    done = threading.Event()
    threading.Thread(target=receive_loop, args=(sock, name, done, out), daemon=True).start()
    try:
        for line in lines(keyboard):
            if line.strip() == "exit":
                break
            if not line:
                continue
            try:
                sock.send(encode(line))
            except ChatError as error:
                print(f"chat: {error}", file=out, flush=True)
            except OSError as error:
                print(f"chat: not sent: {error.strerror}", file=out, flush=True)
    finally:
        done.set()
        time.sleep(0.05)
        sock.close()


def lines(keyboard=None):
    """Lines from the keyboard (input(), with line editing) or from a given stream."""
    while True:
        try:
            line = keyboard.readline() if keyboard else input()
        except EOFError:
            return
        if keyboard and not line:
            return
        yield line.rstrip("\n")


# --- pause and resume ---------------------------------------------------------------

def port_is_free() -> bool:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.bind(("0.0.0.0", PORT))
        return True
    except OSError:
        return False
    finally:
        probe.close()


def pause(seconds: float) -> None:
    until = time.time() + seconds
    listener.pause(until)
    if not ready.wait_for(port_is_free, timeout=3.0, pause=0.1):
        raise ChatError(f"UDP {PORT} is still taken after 3 s: another program holds it")
    back = time.strftime("%H:%M:%S", time.localtime(until))
    print(f"chat: the listener let go of UDP {PORT} until {back} (`chat resume` to end sooner)")


def resume() -> None:
    listener.unpause()
    if ready.wait_for(lambda: not port_is_free(), timeout=3.0, pause=0.1):
        print(f"chat: the listener has UDP {PORT} again")
    else:
        print(f"chat: UDP {PORT} is free but the listener has not taken it yet (is it running?)")


# --- the command --------------------------------------------------------------------

def run(args: list[str]) -> None:
    command = args[0]
    if command == "send" and len(args) >= 3:
        address = resolve(args[1])
        send_one(address, " ".join(args[2:]))
        print(f"chat: sent to {args[1]} ({address})")
    elif command == "broadcast" and len(args) >= 2:
        address = str(own_broadcast())
        send_one(address, " ".join(args[1:]), broadcast=True)
        print(f"chat: sent to everyone on this subnet ({address})")
    elif command == "pause" and len(args) <= 2:
        pause(seconds(args[1]) if len(args) == 2 else 60.0)
    elif command == "resume" and len(args) == 1:
        resume()
    elif command not in ("send", "broadcast", "pause", "resume") and len(args) == 1:
        talk(command)
    else:
        raise UsageError


class UsageError(Exception):
    pass


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1
    if not 0 < value <= 3600:
        raise ChatError(f"pause takes seconds between 1 and 3600, not {text!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr if not args else sys.stdout)
        return 0 if args else 2
    try:
        return exits.run(lambda: run(args), ChatError, "chat")
    except UsageError:
        print(f"chat: usage:\n{USAGE}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
