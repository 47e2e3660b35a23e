"""The ladder: one column per node, one row per event, drawn as text (and, by svg.py, SVG).

Events are the trace's (lanlab/wire/frames.py). Each kind of event becomes a Row through
one function registered for its kind (ROW_MAKERS): a frame is an arrow from its sender to
its receiver on its network, a broadcast an arrow to every member of its network, the
command a note in its node's column. Another kind (the socket calls) registers its own:

    @row_maker("call")
    def call_row(event: dict, lab: LadderLab) -> Row: ...

Text and SVG draw Rows only, so a new kind needs nothing else.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from lanlab.wire.frames import BROADCAST, Command, Frame

COLUMN_MIN = 10


@dataclass
class Row:
    t: float | None
    lane: str                      # the network, or for a note the node
    sender: str | None             # column the row starts from (None: no arrow)
    receivers: tuple[str, ...]     # columns that get an arrow head
    text: str                      # the one-line label
    detail: str = ""               # hop, TTL, MACs
    style: str = "frame"           # frame, broadcast, note (a mark in one column)
    number: int | None = None      # the frame's number (DETAIL=N)
    hop: int | None = None
    joined: bool = False           # this IP packet was already seen on another network


@dataclass
class LadderLab:
    """What a row maker may ask: each network's members, how to name a node."""
    members: dict[str, list[str]] = field(default_factory=dict)
    addresses: dict[str, str] = field(default_factory=dict)     # node -> address (-n)
    numeric: bool = False

    def label(self, node: str) -> str:
        return self.addresses.get(node, node) if self.numeric else node


RowMaker = Callable[[object, LadderLab], "Row | None"]
ROW_MAKERS: dict[str, RowMaker] = {}


def row_maker(kind: str) -> Callable[[RowMaker], RowMaker]:
    def register(function: RowMaker) -> RowMaker:
        ROW_MAKERS[kind] = function
        return function
    return register


def kind_of(event) -> str:
    return event.get("kind", "frame") if isinstance(event, dict) else event.kind


def node_key(node: str | None, mac: str) -> str:
    return node if node and node != BROADCAST else f"?{mac}"


@row_maker("frame")
def frame_row(frame: Frame, lab: LadderLab) -> Row:
    sender = node_key(frame.src_node, frame.src_mac)
    if frame.dst_node == BROADCAST:
        receivers = tuple(m for m in lab.members.get(frame.network, []) if m != sender)
        style = "broadcast"
    else:
        receivers, style = (node_key(frame.dst_node, frame.dst_mac),), "frame"
    ttl = f"ttl {frame.ttl} " if frame.ttl is not None else ""
    detail = f"hop {frame.hop} {ttl}{frame.src_mac} > {frame.dst_mac}"
    return Row(frame.t, frame.network, sender, receivers, frame.summary, detail, style, hop=frame.hop)


@row_maker("command")
def command_row(command: Command, lab: LadderLab) -> Row:
    status = "still running when stopped" if command.exit is None else f"exit {command.exit}"
    return Row(command.t_end, command.node, command.node, (), f"`{command.cmd}` ended: {status}",
               style="note")


def rows_of(events: list, lab: LadderLab) -> list[Row]:
    """Rows in time order; frames numbered 1, 2, ... as in the JSON; unknown kinds skipped."""
    rows, number, hops = [], 0, set()
    for event in events:
        maker = ROW_MAKERS.get(kind_of(event))
        row = maker(event, lab) if maker else None
        if row is None:
            continue
        if kind_of(event) == "frame":
            number += 1
            row.number = number
            row.joined = row.hop in hops
            hops.add(row.hop)
        rows.append(row)
    return sorted(rows, key=lambda r: (r.t if r.t is not None else float("inf")))


def columns_of(rows: list[Row], first: str | None = None) -> list[str]:
    """Every node that took part, the traced node first, then in order of appearance;
    nodes only reached by broadcasts last."""
    columns = [first] if first else []
    for row in rows:
        for node in (row.sender, *(row.receivers if row.style != "broadcast" else ())):
            if node and node not in columns:
                columns.append(node)
    for row in rows:
        for node in row.receivers:
            if node not in columns:
                columns.append(node)
    return columns


def members_of(frames: list[Frame]) -> dict[str, list[str]]:
    """Each network's nodes, as seen in the frames (a trace file needs no running lab)."""
    members: dict[str, list[str]] = {}
    for frame in frames:
        for node in (frame.src_node, frame.dst_node):
            if node and node != BROADCAST and node not in members.setdefault(frame.network, []):
                members[frame.network].append(node)
    return members


# --- text -------------------------------------------------------------------------------

def render_text(rows: list[Row], columns: list[str], lab: LadderLab) -> str:
    width = max([COLUMN_MIN, *(len(lab.label(c)) + 2 for c in columns)])
    lanes = max([6, *(len(r.lane) for r in rows)])
    head = f"{'#':>4} {'time (s)':>10} {'':<{lanes}} " + "".join(lab.label(c).ljust(width) for c in columns)
    lines = [head.rstrip()]
    for row in rows:
        number = f"{row.number:>4}" if row.number else "    "
        when = f"{row.t:10.6f}" if row.t is not None else " " * 10
        diagram = draw(row, columns, width)
        detail = f"  [{row.detail}]" if row.detail else ""
        lines.append(f"{number} {when} {row.lane:<{lanes}} {diagram} {row.text}{detail}".rstrip())
    return "\n".join(lines)


def draw(row: Row, columns: list[str], width: int) -> str:
    """The row's arrow over the lifelines: o---> from the sender, a head at each receiver."""
    centre = {c: i * width + width // 2 for i, c in enumerate(columns)}
    cells = [" "] * (width * len(columns))
    for x in centre.values():
        cells[x] = "|"
    targets = [centre[r] for r in row.receivers if r in centre]
    start = centre.get(row.sender) if row.sender else None
    if start is None or row.style == "note" or not targets:
        if start is not None:
            cells[start] = "*" if row.style == "note" else "o"
        return "".join(cells)
    line = "=" if row.style == "broadcast" else "-"
    for x in range(min(start, *targets), max(start, *targets) + 1):
        cells[x] = line
    for x in targets:
        cells[x] = ">" if x > start else "<"
    cells[start] = "+" if row.joined else "o"
    return "".join(cells)


# --- one frame, layer by layer (DETAIL=N) -------------------------------------------------

def render_detail(frame: Frame, number: int) -> str:
    lines = [f"frame {number}: {frame.network}  {frame.src_node or frame.src_mac} -> "
             f"{frame.dst_node or frame.dst_mac}  t={frame.t:.6f} s  hop {frame.hop}",
             f"  {frame.summary}"]
    for layer in frame.layers or []:
        lines.append(f"{layer['name']}")
        lines.extend(field_lines(layer.get("fields") or {}, "    "))
    return "\n".join(lines)


def field_lines(fields: dict, indent: str) -> list[str]:
    lines = []
    for key, value in fields.items():
        if isinstance(value, list) and value and all(isinstance(v, (dict, list)) for v in value):
            lines.append(f"{indent}{key}:")
            lines.extend(f"{indent}  - {item_text(v)}" for v in value)
        else:
            lines.append(f"{indent}{key}: {item_text(value)}")
    return lines


def item_text(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={item_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        if len(value) == 2 and isinstance(value[0], str):
            return f"{value[0]}: {item_text(value[1])}"
        return "[" + ", ".join(item_text(v) for v in value) + "]"
    return str(value)
