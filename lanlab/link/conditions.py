"""A network's link conditions, and how they travel from `make link` to the nodes: the
one contract between lanlab/control/links.py (on the machine) and lanlab/link/apply.py
(inside each member node), with no I/O.

    Conditions(delay_ms, loss, rate, down)     loss is a fraction (0.05), rate tc's text
    parse_delay("50ms") / parse_loss("5%") / parse_rate("10mbit")   ValueError says what to write
    conditions.to_args() / from_args(argv)     the command line of lanlab.link.apply
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

RATE = re.compile(r"^(\d+(?:\.\d+)?)(bit|kbit|mbit|gbit)$")
RATE_SCALE = {"bit": 1, "kbit": 1e3, "mbit": 1e6, "gbit": 1e9}


@dataclass(frozen=True)
class Conditions:
    delay_ms: float = 0.0
    loss: float = 0.0
    rate: str = ""
    down: bool = False

    @property
    def clear(self) -> bool:
        return self == Conditions()

    def to_args(self) -> list[str]:
        args = []
        if self.delay_ms:
            args += ["--delay-ms", f"{self.delay_ms:g}"]
        if self.loss:
            args += ["--loss", f"{self.loss:g}"]
        if self.rate:
            args += ["--rate", self.rate]
        return args + (["--down"] if self.down else [])

    def describe(self) -> str:
        parts = [f"delay {self.delay_ms:g}ms" if self.delay_ms else "",
                 f"loss {self.loss * 100:g}%" if self.loss else "",
                 f"rate {self.rate}" if self.rate else "", "DOWN" if self.down else ""]
        return ", ".join(p for p in parts if p) or "clear"

    def to_dict(self) -> dict:
        return asdict(self)


def from_args(argv: list[str]) -> Conditions:
    values, items = {}, iter(argv)
    for arg in items:
        if arg == "--down":
            values["down"] = True
        elif arg in ("--delay-ms", "--loss", "--rate"):
            values[arg[2:].replace("-", "_")] = next(items, "")
        else:
            raise ValueError(f"unknown argument {arg!r}")
    return Conditions(float(values.get("delay_ms", 0)), float(values.get("loss", 0)),
                      values.get("rate", ""), values.get("down", False))


DELAY_SCALE = {"us": 0.001, "ms": 1.0, "": 1.0, "s": 1000.0}
MAX_DELAY_MS = 10_000


def parse_delay(text: str) -> float:
    """Milliseconds from "50ms", "50", "0.5s" or "500us"."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(us|ms|s)?", text.strip())
    value = float(match[1]) * DELAY_SCALE[match[2] or ""] if match else -1
    if not 0 <= value <= MAX_DELAY_MS:
        raise ValueError(f"DELAY={text!r}: write a delay up to 10 s, e.g. DELAY=50ms")
    return value


def parse_loss(text: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*%?", text.strip())
    if not match or not 0 <= float(match[1]) <= 100:
        raise ValueError(f"LOSS={text!r}: write a percentage from 0 to 100, e.g. LOSS=5%")
    return float(match[1]) / 100


def parse_rate(text: str) -> str:
    match = RATE.fullmatch(text.strip().lower())
    if not match or float(match[1]) <= 0:
        raise ValueError(f"RATE={text!r}: write a rate in bit, kbit, mbit or gbit, e.g. RATE=10mbit")
    return f"{match[1]}{match[2]}"


def rate_bits(rate: str) -> float:
    number, unit = RATE.fullmatch(rate).groups()
    return float(number) * RATE_SCALE[unit]
