"""lanlab's benchmarks: `make bench` (all) or `make bench ONLY=lab` (one, or a comma list).

Every module bench/bench_NAME.py is one benchmark. The runner (bench/__main__.py) finds
them, runs each in a child process bounded by its time budget, shows progress, and
writes docs/benchmarks.md from the results kept in docs/bench/NAME.json: running one
benchmark replaces its own section and keeps the others'.

The interface, all a module needs:

    from bench import Context, Result

    BUDGET = 600            # optional: seconds this benchmark may take (default 600)

    def run(ctx: Context) -> list[Result]:
        ctx.say("starting Kea")                  # progress, shown as it runs
        ...                                      # check ctx.time_left() between steps
        return [Result(name="DHCP exchanges/s, 1000 clients, <= 0.1% drops",
                       ours=14100, peer_name="Kea 2.2 (memfile)", peer=13900,
                       unit="exchanges/s", higher_is_better=True,
                       target=">= 1x Kea", met=True,
                       notes="perfdhcp -g single ...", commands=("perfdhcp -r 20000 ...",))]

    def cleanup(ctx: Context) -> None:            # optional: called after a stop
        ...

Rules: every benchmark sends traffic only inside the lab (or a lab it starts itself),
removes what it started (in a `finally`, and in cleanup()), and bounds each step in time.
When the budget is spent the runner sends SIGTERM, which raises Budget in the module:
let it unwind through your `finally` blocks. A module whose run() does not take `ctx` as
its first argument (or that has none) is run alone as `python -m bench.bench_NAME` under
the same budget: what it prints on stdout (a markdown table, say) goes into its section of
docs/benchmarks.md as it is, stderr is shown as progress.
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class Budget(Exception):
    """The runner stopped this benchmark: its time budget is spent."""


@dataclass(frozen=True)
class Result:
    name: str                        # what was measured, in one line
    ours: float | None               # lanlab's figure (None: could not be measured)
    peer_name: str                   # what it is compared with, e.g. "Kea 2.2", "the floor"
    peer: float | None               # the peer's figure from the same run
    unit: str                        # "s", "MiB", "queries/s", ...
    higher_is_better: bool
    target: str = ""                 # e.g. "<= 1.5x the floor"
    met: bool | None = None          # was the target met (None: no target or not measured)
    notes: str = ""
    commands: tuple[str, ...] = ()   # the exact commands to reproduce it

    @property
    def ratio(self) -> float | None:
        if self.ours is None or not self.peer:
            return None
        return self.ours / self.peer

    def to_dict(self) -> dict:
        data = asdict(self)
        data["commands"] = list(self.commands)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Result":
        return cls(**{**data, "commands": tuple(data.get("commands", ()))})


@dataclass
class Context:
    name: str                         # the benchmark's name ("lab" for bench_lab.py)
    budget: float                     # seconds
    started: float = field(default_factory=time.monotonic)
    notes: list[str] = field(default_factory=list)   # free text for the report

    def say(self, message: str) -> None:
        left = self.time_left()
        print(f"bench[{self.name}] {time.monotonic() - self.started:5.0f}s "
              f"({left:.0f}s left): {message}", file=sys.stderr, flush=True)

    def time_left(self) -> float:
        return self.budget - (time.monotonic() - self.started)

    def note(self, text: str) -> None:
        self.notes.append(text)

    @property
    def env(self) -> dict[str, str]:
        return dict(os.environ)


def ensure_bench_image(say=print) -> str:
    """The lanlab-bench image (the base plus Debian's Kea, perfdhcp, dnsmasq, dnsperf:
    base/bench-packages.txt), built once from the machine's own Debian sources, with no
    registry; rebuilt only when a package list changes. Returns its tag."""
    from lanlab.control import base
    say("making sure the lanlab-bench image is built (the first time: about a minute)")
    return base.ensure_base(flavour="bench")


def run_alone(name: str, say, measure, markdown, errors: tuple[type[Exception], ...]) -> int:
    """`python -m bench.bench_NAME` on its own: the bench image, then measure()'s figures
    printed as markdown(figures), status 0; one of `errors` is the line "NAME: error: ..."
    on stderr and status 1."""
    try:
        ensure_bench_image(say)
        figures = measure()
    except errors as error:
        print(f"{name}: error: {error}", file=sys.stderr)
        return 1
    print(markdown(figures))
    return 0


def remove_labelled(label: str) -> None:
    """Remove every container, network and volume carrying `label` ("key=value"), in
    that order (a network or volume in use cannot go first): what a benchmark stopped by
    its budget left behind."""
    import docker
    client = docker.from_env(timeout=120)
    for container in client.containers.list(all=True, filters={"label": label}):
        container.remove(force=True)
    for network in client.networks.list(filters={"label": label}):
        network.remove()
    for volume in client.volumes.list(filters={"label": label}):
        volume.remove(force=True)
