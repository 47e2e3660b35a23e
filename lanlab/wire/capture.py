"""Capture every frame of a lab's networks, from the host side of each network's bridge.

One container of the lab's own base image (it has tcpdump) shares the host's network
namespace (network_mode host, caps NET_RAW and NET_ADMIN) and runs one tcpdump per
network on that network's bridge (lanlab/control/inventory.py): every frame between any
two members is seen, also between two hosts of one subnet, which a capture inside the
router would miss. Nothing is installed on the host.

Each tcpdump writes pcap (the libpcap file format, Ethernet link type) into a ring of
RING_FILES files (-C/-W), so a network never holds more than its size limit; at the end
the ring is joined, oldest first, into OUT/<network>.pcap. With `immediate` (live lines,
traces) each frame is handed over and written at once (--immediate-mode, -U); without (a
capture for SECONDS) frames come in blocks and are written in buffers, far cheaper at
high rates (docs/wire.md). tcpdump's statistics (frames captured, dropped by the kernel)
are read from its last lines.

The container carries the label lanlab.capture=<project>: a capture left running by a
killed run is removed by the next capture and by `make down` (remove_leftovers).
"""
from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import struct
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from lanlab.control import base
from lanlab.control.errors import LabError
from lanlab.control.inventory import Network

CAPTURE_LABEL = "lanlab.capture"
OWNER_LABEL = "lanlab.capture.owner"      # <host name>:<pid> of the process that started it
IMAGE = base.image()
RING_FILES = 4
SNAP_BYTES = 1514        # one whole Ethernet frame (MTU 1500 + header): see docs/wire.md
DEFAULT_LIMIT_MB = 100
KERNEL_BUFFER_KIB = 32768
INSIDE = "/out"
RING_DIR = ".ring"
PCAP_HEADER = 24
RECORD_HEADER = 16
STATS = re.compile(r"(\d+) packets? (captured|received by filter|dropped by kernel)")


@dataclass
class Stats:
    captured: int = 0
    received: int = 0
    dropped: int = 0


@dataclass
class Capture:
    """A running capture: the container, its networks and where the files go."""
    project: str
    networks: list[Network]
    out: Path
    bpf: str = ""
    limit_mb: int = DEFAULT_LIMIT_MB
    immediate: bool = True         # each frame at once (live lines, traces); False: in blocks, cheaper
    container: str = ""
    stats: dict[str, Stats] = field(default_factory=dict)

    @property
    def ring(self) -> Path:
        return self.out / RING_DIR

    def ring_files(self, network: str) -> list[Path]:
        """The ring's files of one network, oldest first."""
        files = [p for p in self.ring.glob(f"{network}.pcap*") if p.suffix[5:].isdigit()]
        return sorted(files, key=lambda p: (p.stat().st_mtime_ns, int(p.suffix[5:])))

    def start(self, timeout: float = 20) -> "Capture":
        remove_leftovers(self.project)
        prepare_out(self.out)
        with deferred_interrupt():      # a Ctrl-C now would leave a container we do not know
            self.container = docker("run", "-d", "--network", "host", "--cap-add", "NET_RAW",
                                    "--cap-add", "NET_ADMIN", "--label", f"{CAPTURE_LABEL}={self.project}",
                                    "--label", f"{OWNER_LABEL}={owner()}",
                                    "--name", f"{self.project}-capture-{os.getpid()}",
                                    "-v", f"{self.out.resolve()}:{INSIDE}", IMAGE,
                                    "sh", "-c", script(self.networks, self.bpf, self.limit_mb,
                                                       self.immediate)).strip()
        try:
            self.wait_listening(timeout)
        except BaseException:
            self.abandon()
            raise
        return self

    def wait_listening(self, timeout: float) -> None:
        """Until every tcpdump says "listening on" (a filter error ends the container)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all("listening on" in self.log(net.name) for net in self.networks):
                return
            if not self.running():
                raise LabError(self.failure())
            time.sleep(0.05)
        raise LabError(f"tcpdump did not start within {timeout:.0f} s: {self.failure()}")

    def log(self, network: str) -> str:
        try:
            return (self.ring / f"{network}.log").read_text(errors="replace")
        except OSError:
            return ""

    def failure(self) -> str:
        bpf = self.log("bpf")
        if bpf.strip():
            return f"FILTER {self.bpf!r} rejected by tcpdump: {first_error(bpf)}"
        for net in self.networks:
            if "tcpdump:" in self.log(net.name):
                return f"tcpdump on {net.name} ({net.bridge}): {first_error(self.log(net.name))}"
        logs = quiet_docker("logs", self.container)
        return f"the capture container stopped: {first_error(logs.stdout + logs.stderr)}"

    def running(self) -> bool:
        return quiet_docker("inspect", "-f", "{{.State.Running}}", self.container).stdout.strip() == "true"

    def frames_seen(self) -> int:
        """Bytes written so far in every ring (grows while frames arrive)."""
        return sum(p.stat().st_size for net in self.networks for p in self.ring_files(net.name))

    def wait_quiet(self, quiet: float = 0.15, limit: float = 1.0) -> None:
        """Until no frame was written for `quiet` s (the last ACKs after a command), at most `limit` s."""
        deadline, last, since = time.monotonic() + limit, self.frames_seen(), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.03)
            now = self.frames_seen()
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return

    def stop(self) -> dict[str, Stats]:
        """Stop every tcpdump (SIGINT), read its statistics, join the rings, remove it all."""
        if not self.container:
            return self.stats
        with deferred_interrupt():
            return self.stop_now()

    def stop_now(self) -> dict[str, Stats]:
        quiet_docker("kill", "-s", "INT", self.container)
        quiet_docker("wait", self.container)
        self.stats = {net.name: parse_stats(self.log(net.name)) for net in self.networks}
        for net in self.networks:
            join_ring(self.ring_files(net.name), self.out / f"{net.name}.pcap")
        self.abandon()
        return self.stats

    def abandon(self) -> None:
        """Remove the container and the ring directory, whatever state they are in."""
        if self.container:
            quiet_docker("rm", "-f", self.container)
            self.container = ""
        else:       # interrupted inside `docker run`: find it by this process's label
            mine = quiet_docker("ps", "-aq", "--filter", f"label={OWNER_LABEL}={owner()}").stdout.split()
            if mine:
                quiet_docker("rm", "-f", *mine)
        remove_ring(self.ring)

    def records(self, network: str) -> Iterator[tuple[float, bytes]]:
        """Frames of one network so far (while running: the ring; after stop: the file)."""
        files = self.ring_files(network) if self.ring.is_dir() else [self.out / f"{network}.pcap"]
        for path in files:
            yield from read_pcap(path)


def script(networks: list[Network], bpf: str, limit_mb: int, immediate: bool = True) -> str:
    """The container's shell: check the filter, one tcpdump per bridge, stop on SIGINT."""
    size = max(1, limit_mb // RING_FILES)
    quoted = shlex.quote(bpf) if bpf else ""
    first = networks[0].bridge
    lines = [f"cd {INSIDE}/{RING_DIR} || exit 2",
             f"tcpdump -d -i {first} {quoted} >/dev/null 2>bpf.log || exit 3",
             ": > bpf.log", "pids="]
    for net in networks:
        lines.append(f"tcpdump -i {net.bridge} -n {'-U --immediate-mode ' if immediate else ''}-s {SNAP_BYTES} "
                     f"-B {KERNEL_BUFFER_KIB} -Z root "
                     f"-C {size} -W {RING_FILES} -w {shlex.quote(net.name)}.pcap {quoted} "
                     f"2>{shlex.quote(net.name)}.log & pids=\"$pids $!\"")
    lines += ["trap 'kill -INT $pids 2>/dev/null' INT TERM",
              "for pid in $pids; do while kill -0 $pid 2>/dev/null; do wait $pid; done; done"]
    return "\n".join(lines)


def first_error(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    wanted = [line for line in lines if "tcpdump:" in line or "error" in line.lower()]
    line = (wanted or lines or ["no message"])[0]
    return line.removeprefix("tcpdump: ")


def parse_stats(log: str) -> Stats:
    found = {kind: int(count) for count, kind in STATS.findall(log)}
    return Stats(found.get("captured", 0), found.get("received by filter", 0), found.get("dropped by kernel", 0))


def prepare_out(out: Path) -> None:
    """OUT must be a directory we can write: say so in one line before anything starts."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".lanlab-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
        remove_ring(out / RING_DIR)
        (out / RING_DIR).mkdir()
    except OSError as error:
        raise LabError(f"cannot write captures to OUT={out}: {error.strerror or error}; "
                       "give a directory you may write, e.g. OUT=captures/mine") from None


def remove_ring(ring: Path) -> None:
    if ring.is_dir():
        for path in ring.iterdir():
            path.unlink(missing_ok=True)
        ring.rmdir()


def join_ring(files: list[Path], target: Path) -> None:
    """Join a ring's files, oldest first, into one pcap (written whole, then renamed)."""
    if not files:
        return
    temporary = target.with_name(f".{target.name}.tmp")
    with open(temporary, "wb") as joined:
        for index, path in enumerate(files):
            data = path.read_bytes()
            joined.write(data if index == 0 else data[PCAP_HEADER:])
    temporary.replace(target)


def read_pcap(path: Path) -> Iterator[tuple[float, bytes]]:
    """(seconds, frame bytes) of each whole record of a pcap file."""
    yield from read_pcap_from(path, PCAP_HEADER)[0]


def read_pcap_from(path: Path, offset: int) -> tuple[list[tuple[float, bytes]], int]:
    """The whole records from `offset` on (a growing file too) and where the next begins.

    pcap: a 24-byte header whose magic gives byte order and micro- or nanoseconds, then
    records of a 16-byte header (seconds, fraction, saved length, original length) and bytes."""
    try:
        with open(path, "rb") as file:
            magic = file.read(4)
            file.seek(offset)
            data = file.read()
    except OSError:
        return [], offset
    if len(magic) < 4:
        return [], offset
    order = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    scale = 1e-9 if magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d") else 1e-6
    records, at = [], 0
    while at + RECORD_HEADER <= len(data):
        seconds, fraction, length, _ = struct.unpack_from(order + "IIII", data, at)
        end = at + RECORD_HEADER + length
        if end > len(data):
            break
        records.append((seconds + fraction * scale, data[at + RECORD_HEADER:end]))
        at = end
    return records, offset + at


@contextmanager
def deferred_interrupt():
    """Hold a Ctrl-C until the block is done (then raise it): starting or stopping the
    container must not be cut in half."""
    caught = []
    try:
        previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    except ValueError:                          # not the main thread: signals go elsewhere
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def alive(owner_label: str) -> bool:
    """Is the process that started a capture still running (here)?"""
    host, _, pid = owner_label.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_leftovers(project: str, everything: bool = False) -> list[str]:
    """Remove this project's capture containers whose process is gone (all: `make down`)."""
    listed = docker("ps", "-a", "--filter", f"label={CAPTURE_LABEL}={project}",
                    "--format", f'{{{{.ID}}}} {{{{.Label "{OWNER_LABEL}"}}}}').splitlines()
    ids = [line.split()[0] for line in listed if line.strip()
           and (everything or not alive(line.split(" ", 1)[1] if " " in line else ""))]
    if ids:
        quiet_docker("rm", "-f", *ids)
    return ids


def quiet_docker(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    """A docker call that a Ctrl-C at the terminal does not interrupt (own session)."""
    try:
        return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout,
                              start_new_session=True)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(args, 124, "", f"docker {args[0]}: no answer in {timeout:.0f} s")


def docker(*args: str) -> str:
    result = quiet_docker(*args, timeout=60)
    if result.returncode == 124 and "no answer" in result.stderr:
        raise LabError(f"`docker {args[0]}` gave no answer in 60 s; is the Docker engine running?")
    if result.returncode != 0:
        raise LabError(f"`docker {args[0]}` failed: {first_error(result.stderr)}")
    return result.stdout
