"""Start-up hook for a traced Python program: which line of the program made each socket call.

Copied into the node as `sitecustomize.py` of a folder put first on PYTHONPATH
(lanlab/wire/calls/agent.py), so Python imports it before the program starts; it then
imports the `sitecustomize` it shadows, if there is one. Standard library only: it runs
in the node's own Python.

A profile function (sys.setprofile, and threading.setprofile for every later thread) sees
each call into the socket API: a C method of a socket object (send, recv, connect, ...)
or a function of the socket module (accept, close, sendfile, getaddrinfo, ...), called
from outside socket.py. For each it notes a mark, with the wall-clock time just before
the call: each syscall strace records in the same thread belongs to the last mark before
it (lanlab/wire/calls/events.py). getaddrinfo is a C library function, not a syscall: its
question and answer are marks of their own.

Marks cost no syscall (each one would be another stop under strace): they are JSON lines
written into a file mapped into memory (mmap, MAP_SHARED), one file per process in the
marks folder, so they are kept even when the program is killed.

A mark: {"seq", "pid", "tid", "t", "name", "file", "line"} and, for getaddrinfo's return,
{"seq", "pid", "tid", "t", "name": "getaddrinfo", "phase": "return", "result": [addresses]}.
"""
import importlib.machinery
import importlib.util
import json
import mmap
import os
import socket
import sys
import sysconfig
import threading
import time

MARKS_VAR = "LANLAB_CALLS_MARKS"   # agent.py's MARKS_VAR: the hook runs alone, it cannot import it
SOCKET_FILE = socket.__file__
STDLIB = tuple({sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]})
# Functions of socket.py a program calls; C methods of a socket object are all marked.
MODULE_FUNCTIONS = {"accept": "accept", "close": "close", "sendfile": "sendfile",
                    "getaddrinfo": "getaddrinfo", "create_connection": "create_connection",
                    "create_server": "create_server", "__init__": "socket", "__exit__": "close"}
SKIPPED_METHODS = {"fileno", "gettimeout", "settimeout", "setblocking", "getblocking",
                   "getsockname", "getpeername", "setsockopt", "getsockopt", "_accept",
                   "__enter__", "__exit__", "detach", "dup", "_real_close"}


class Marks:
    """JSON lines into a memory-mapped file of this process (a new one after a fork)."""
    SIZE = 1 << 22

    def __init__(self, folder: str):
        self.folder = folder
        self.lock = threading.Lock()
        self.open()
        os.register_at_fork(after_in_child=self.open)

    def open(self) -> None:
        self.lock = threading.Lock()
        fd = os.open(os.path.join(self.folder, f"{os.getpid()}.jsonl"),
                     os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        os.ftruncate(fd, self.SIZE)
        self.map = mmap.mmap(fd, self.SIZE)
        os.close(fd)
        self.at = self.seq = 0

    def write(self, record: dict) -> None:
        with self.lock:
            self.seq += 1
            line = (json.dumps({"seq": self.seq, "pid": os.getpid(),
                                "tid": threading.get_native_id(), **record}) + "\n").encode()
            if self.at + len(line) > len(self.map):
                self.map.resize(2 * len(self.map))
            self.map[self.at:self.at + len(line)] = line
            self.at += len(line)


def program_frame(frame):
    """The nearest frame outside the standard library: the learner's line."""
    first = frame
    while frame is not None:
        name = frame.f_code.co_filename
        if not name.startswith(STDLIB) and not name.startswith("<frozen"):
            return frame
        frame = frame.f_back
    return first


def socket_call(frame, event, arg):
    """The socket API name this event enters from outside socket.py, or None."""
    if event == "c_call":
        owner = getattr(arg, "__self__", None)
        if isinstance(owner, socket.SocketType) and arg.__name__ not in SKIPPED_METHODS:
            if frame.f_code.co_filename != SOCKET_FILE:
                return arg.__name__
        return None
    if event == "call" and frame.f_code.co_filename == SOCKET_FILE:
        caller = frame.f_back
        name = frame.f_code.co_name
        if name in MODULE_FUNCTIONS and caller is not None \
                and caller.f_code.co_filename != SOCKET_FILE:
            return MODULE_FUNCTIONS[name]
    return None


def addresses(result) -> list:
    try:
        return sorted({f"{info[4][0]}" for info in result})
    except (TypeError, IndexError):
        return []


def make_profile(marks: Marks):
    def profile(frame, event, arg):
        if event == "return" and frame.f_code.co_name == "getaddrinfo" \
                and frame.f_code.co_filename == SOCKET_FILE \
                and frame.f_back is not None and frame.f_back.f_code.co_filename != SOCKET_FILE:
            marks.write({"t": time.time(), "name": "getaddrinfo", "phase": "return",
                         "result": addresses(arg)})
            return
        name = socket_call(frame, event, arg)
        if name is None:
            return
        where = program_frame(frame if event == "c_call" else frame.f_back)
        record = {"t": time.time(), "name": name, "file": where.f_code.co_filename,
                  "line": where.f_lineno}
        if name == "getaddrinfo":
            record["host"] = str(frame.f_locals.get("host"))[:200]
            record["port"] = str(frame.f_locals.get("port"))
        marks.write(record)
    return profile


def chain_next_sitecustomize() -> None:
    """Run the sitecustomize this file shadows (Debian ships one), under another name."""
    here = os.path.dirname(os.path.abspath(__file__))
    rest = [p for p in sys.path if os.path.abspath(p or ".") != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is not None and spec.loader is not None:
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as error:  # as Python itself would: say so and run the program
            print(f"Error in sitecustomize: {error!r}", file=sys.stderr)


def install() -> None:
    path = os.environ.get(MARKS_VAR)
    if path:
        profile = make_profile(Marks(path))
        sys.setprofile(profile)
        threading.setprofile(profile)
    chain_next_sitecustomize()


if __name__ == "sitecustomize":
    install()
