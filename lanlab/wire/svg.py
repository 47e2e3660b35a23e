"""The ladder as an SVG picture (SVG 1.1), drawn from the same Rows as the text ladder.

Lifelines per node, one arrow per row coloured by network (dashed for a broadcast), a dot
where a routed packet leaves the router again, and each row's label at the right.
"""
from __future__ import annotations

from html import escape

from lanlab.wire.ladder import LadderLab, Row

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
COLUMN = 120
ROW = 22
LEFT = 150
TOP = 70
FONT = "font-family='DejaVu Sans Mono, monospace' font-size='12'"


def render_svg(rows: list[Row], columns: list[str], lab: LadderLab, title: str = "",
               footer: list[str] | None = None) -> str:
    footer = footer or []
    lanes = sorted({r.lane for r in rows if r.style != "note"})
    colour = {lane: PALETTE[i % len(PALETTE)] for i, lane in enumerate(lanes)}
    label_x = LEFT + COLUMN * len(columns) + 10
    longest = max([40, *(len(row.text) + len(row.detail) + 3 for row in rows)])
    width = label_x + round(longest * 7.4) + 20
    height = TOP + ROW * (len(rows) + 1) + 18 * (len(footer) + 2)
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
             f"viewBox='0 0 {width} {height}'>",
             "<defs>" + "".join(marker(lane, colour[lane]) for lane in lanes) + "</defs>",
             f"<rect width='{width}' height='{height}' fill='white'/>",
             text(10, 22, title, weight="bold"),
             legend(lanes, colour)]
    parts += heads(columns, lab, TOP + ROW * (len(rows) + 1))
    for index, row in enumerate(rows):
        parts.append(row_svg(row, columns, colour, TOP + ROW * (index + 1), label_x))
    y = TOP + ROW * (len(rows) + 1) + 24
    for line in footer:
        parts.append(text(10, y, line))
        y += 18
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def marker(lane: str, colour: str) -> str:
    return (f"<marker id='head-{ident(lane)}' markerWidth='8' markerHeight='8' refX='7' refY='4' "
            f"orient='auto'><path d='M0,0 L8,4 L0,8 z' fill='{colour}'/></marker>")


def ident(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name)


def legend(lanes: list[str], colour: dict[str, str]) -> str:
    items, x = [], 10
    for lane in lanes:
        items.append(f"<line x1='{x}' y1='40' x2='{x + 24}' y2='40' stroke='{colour[lane]}' stroke-width='2'/>"
                     + text(x + 30, 44, lane))
        x += 40 + 8 * len(lane)
    return "".join(items)


def heads(columns: list[str], lab: LadderLab, bottom: int) -> list[str]:
    parts = []
    for index, column in enumerate(columns):
        x = LEFT + COLUMN * index + COLUMN // 2
        parts.append(f"<rect x='{x - 50}' y='{TOP - 16}' width='100' height='22' rx='4' "
                     f"fill='#f3f3f3' stroke='#555'/>")
        parts.append(text(x, TOP, lab.label(column), anchor="middle", weight="bold"))
        parts.append(f"<line x1='{x}' y1='{TOP + 6}' x2='{x}' y2='{bottom}' stroke='#bbb'/>")
    return parts


def row_svg(row: Row, columns: list[str], colour: dict[str, str], y: int, label_x: int) -> str:
    centre = {c: LEFT + COLUMN * i + COLUMN // 2 for i, c in enumerate(columns)}
    when = f"{row.t:.6f}" if row.t is not None else ""
    parts = [text(10, y + 4, when), text(88, y + 4, row.lane if row.style != "note" else "")]
    start = centre.get(row.sender) if row.sender else None
    paint = colour.get(row.lane, "#333")
    if row.style == "note" or start is None:
        if start is not None:
            parts.append(f"<circle cx='{start}' cy='{y}' r='5' fill='#333'/>")
    else:
        dash = " stroke-dasharray='6,3'" if row.style == "broadcast" else ""
        for receiver in row.receivers:
            if receiver in centre:
                end = centre[receiver] - 6 if centre[receiver] > start else centre[receiver] + 6
                parts.append(f"<line x1='{start}' y1='{y}' x2='{end}' y2='{y}' stroke='{paint}' "
                             f"stroke-width='2'{dash} marker-end='url(#head-{ident(row.lane)})'/>")
        if row.joined:
            parts.append(f"<circle cx='{start}' cy='{y}' r='4' fill='{paint}'/>")
    number = f"{row.number}. " if row.number else ""
    parts.append(text(label_x, y + 4, f"{number}{row.text}", fill=paint if row.style != "note" else "#000"))
    if row.detail:
        parts.append(text(label_x + round(7.4 * (len(number) + len(row.text) + 2)), y + 4, row.detail, fill="#888"))
    return "".join(parts)


def text(x: int, y: int, content: str, anchor: str = "start", weight: str = "normal", fill: str = "#000") -> str:
    return (f"<text x='{x}' y='{y}' {FONT} text-anchor='{anchor}' font-weight='{weight}' "
            f"fill='{fill}'>{escape(content)}</text>")
