"""Call rows in the ladder: each socket call is a mark in its node's column, at its time,
labelled with the program's line and the call (events.summary), and, as detail, its thread
and the hops of the frames it was joined to (join.py). Registered with lanlab/wire/ladder.py
for events of kind "call", so text, SVG and `make show` draw them like any row.
"""
from __future__ import annotations

from lanlab.wire.ladder import LadderLab, Row, row_maker


def hops_text(hops: list) -> str:
    if not hops:
        return ""
    return f"frames of hop{'s' if len(hops) > 1 else ''} {', '.join(str(h) for h in hops[:8])}" + \
        (f" and {len(hops) - 8} more" if len(hops) > 8 else "")


@row_maker("call")
def call_row(event: dict, lab: LadderLab) -> Row:
    thread = f"pid {event['pid']}" + (f" thread {event['thread']}" if event["thread"] != event["pid"] else "")
    detail = "; ".join(part for part in (thread, hops_text(event.get("hops") or [])) if part)
    return Row(event["t"], event["node"], event["node"], (), event.get("summary") or event["name"],
               detail, style="note")
