"""The trace JSON: one list of events, the contract every later tool reads (docs/wire.md).

A trace is a JSON list of objects, each with a "kind":

    "frame"    one Ethernet frame seen on one network (Frame below)
    "command"  the traced command: node, cmd, exit status, output, start and end times
    "call"     a socket call of a traced program (added by the socket-call tracer)

Readers skip kinds they do not know. Times `t` are seconds from the first frame.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

PROTOS = ("arp", "dhcp", "dns", "tcp", "udp", "icmp", "other")
BROADCAST = "*"


@dataclass
class Frame:
    t: float
    network: str
    src_node: str | None
    dst_node: str | None          # "*" for a broadcast or multicast, None when unknown
    src_mac: str
    dst_mac: str
    src_ip: str | None
    dst_ip: str | None
    ttl: int | None
    ip_id: int | None
    proto: str
    summary: str
    hop: int | None               # the same for one IP packet seen on several networks
    layers: list[dict] = field(default_factory=list)   # [{"name": ..., "fields": {...}}]
    kind: str = "frame"

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Command:
    node: str
    cmd: str
    exit: int | None              # None: stopped before it ended (Ctrl-C, time limit)
    output: str
    t: float                      # when it started, seconds from the first frame
    t_end: float
    members: dict[str, list[str]] | None = None     # each network's nodes (who a broadcast reaches)
    kind: str = "command"

    def to_json(self) -> dict:
        return asdict(self)


FRAME_KEYS = tuple(f for f in Frame.__dataclass_fields__)


def frame_from_json(data: dict) -> Frame:
    return Frame(**{key: data.get(key) for key in FRAME_KEYS if key != "kind"})


def command_from_json(data: dict) -> Command:
    return Command(data["node"], data["cmd"], data.get("exit"), data.get("output", ""),
                   data.get("t", 0.0), data.get("t_end", 0.0), data.get("members"))


def to_json(events: list) -> list[dict]:
    return [event if isinstance(event, dict) else event.to_json() for event in events]


def save(events: list, path: Path) -> None:
    """Write whole or not at all: a temporary file beside it, renamed into place."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(json.dumps(to_json(events), indent=1) + "\n")
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def load(path: Path) -> list:
    """Frames and commands as objects; other kinds stay dicts (the renderer may know them)."""
    data = json.loads(Path(path).read_text())
    if not isinstance(data, list):
        raise ValueError("a trace is a JSON list of events")
    return [read_event(item) for item in data]


def read_event(item: dict):
    kind = item.get("kind", "frame")
    if kind == "frame":
        return frame_from_json(item)
    if kind == "command":
        return command_from_json(item)
    return item
