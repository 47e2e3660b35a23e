"""`make capture`: capture the chosen networks into OUT/<network>.pcap.

With SECONDS it captures that long; without, until Ctrl-C, printing one line per frame
with the lab's names (`lan-a  alice -> router  DNS A? files.lab.internal`).
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lanlab.control.errors import LabError
from lanlab.control.inventory import inventory
from lanlab.wire import choose
from lanlab.wire.capture import DEFAULT_LIMIT_MB, PCAP_HEADER, RING_FILES, Capture, Stats, read_pcap_from
from lanlab.wire.frames import Frame

ROOT = Path(__file__).resolve().parents[2]
CAPTURES = ROOT / "captures"


def say(message: str) -> None:
    print(f"lanlab: {message}", file=sys.stderr, flush=True)


def default_out(kind: str = "") -> Path:
    return CAPTURES / (datetime.now().strftime("%Y%m%d-%H%M%S") + (f"-{kind}" if kind else ""))


def shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def announce(capture: Capture) -> None:
    nets = ", ".join(f"{n.name} ({n.bridge})" for n in capture.networks)
    size = max(1, capture.limit_mb // RING_FILES)
    say(f"capturing {nets} into {shown(capture.out)}/; at most {RING_FILES * size} MB per network "
        f"(a ring of {RING_FILES} files of {size} MB: the oldest frames go first)")


def report(capture: Capture, stats: dict[str, Stats]) -> None:
    for name, each in stats.items():
        say(f"{name}: {each.captured} frames, {each.dropped} dropped by the kernel -> "
            f"{shown(capture.out / f'{name}.pcap')}")


def run(project: str | None, net: str | None, seconds: str | None, bpf: str | None, out: str | None,
        limit: str | None = None, numeric: bool = False) -> int:
    lab = choose.require_lab(inventory(project))
    networks = choose.networks(lab, net)
    duration = number(seconds, "SECONDS", "SECONDS=10") if seconds else None
    limit_mb = int(number(limit, "LIMIT", "LIMIT=100 (MB)")) if limit else DEFAULT_LIMIT_MB
    capture = Capture(lab.project, networks, Path(out) if out else default_out(), bpf or "", limit_mb,
                      immediate=duration is None)
    interrupted = False
    try:
        capture.start()
        announce(capture)
        if duration is not None:
            wait(capture, duration)
        else:
            say("one line per frame; Ctrl-C stops")
            follow(capture, lab.node_by_mac, numeric)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        stats = capture.stop() if capture.container else {}
        capture.abandon()
    if stats:
        report(capture, stats)
    if interrupted and duration is not None:
        say("stopped by Ctrl-C before SECONDS were up; what was captured is saved")
        return 130
    return 0


def number(text: str, name: str, example: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1
    if value <= 0:
        raise LabError(f"{name}={text!r} is not a positive number; e.g. {example}")
    return value


def wait(capture: Capture, seconds: float) -> None:
    """Capture for `seconds` (the point is a duration), stopping early if tcpdump dies."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
        if not capture.running():
            raise LabError(capture.failure())


@dataclass
class Follower:
    """Reads the whole records a running tcpdump has added to its ring so far."""
    capture: Capture
    network: str
    index: int = 0
    offset: int = PCAP_HEADER

    def path(self, index: int) -> Path:
        return self.capture.ring / f"{self.network}.pcap{index}"

    def new(self) -> list[tuple[float, bytes]]:
        records, self.offset = read_pcap_from(self.path(self.index), self.offset)
        full = max(1, self.capture.limit_mb // RING_FILES) * 1_000_000
        following = self.path((self.index + 1) % RING_FILES)
        if self.offset >= full and following.exists():
            self.index, self.offset = (self.index + 1) % RING_FILES, PCAP_HEADER
        return records


def follow(capture: Capture, name_of, numeric: bool) -> None:
    from lanlab.wire.decode import Decoder, Record
    decoder = Decoder(name_of)
    followers = [Follower(capture, net.name) for net in capture.networks]
    while True:
        batch = [Record(f.network, t, data) for f in followers for t, data in f.new()]
        for record in sorted(batch, key=lambda r: r.time):
            print(line(decoder.add(record), numeric), flush=True)
        if not batch:
            if not capture.running():
                raise LabError(capture.failure())
            time.sleep(0.1)


def line(frame: Frame, numeric: bool) -> str:
    if numeric:
        src, dst = frame.src_ip or frame.src_mac, frame.dst_ip or frame.dst_mac
    else:
        src, dst = frame.src_node or frame.src_mac, frame.dst_node or frame.dst_mac
    return f"{frame.network:<6} {src} -> {dst}  {frame.summary}"

