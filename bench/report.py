"""The machine a benchmark ran on, and docs/benchmarks.md written from docs/bench/*.json."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from pathlib import Path

from bench import ROOT, Result

DOCS = ROOT / "docs"
RESULTS = DOCS / "bench"
REPORT = DOCS / "benchmarks.md"
OTHER = DOCS / "bench" / "other.md"


def command_output(argv: list[str]) -> str:
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return (result.stdout or result.stderr).strip().splitlines()[0] if result.returncode == 0 else "unknown"


def memory_gib() -> str:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return "unknown"


def machine() -> dict:
    from lanlab.control.compose import compose_command, compose_version
    try:
        compose = f"{' '.join(compose_command())} {compose_version()}"
    except Exception:  # noqa: BLE001 - the report must be written whatever is missing
        compose = "unknown"
    return {
        "cores": os.cpu_count(),
        "memory": memory_gib(),
        "kernel": platform.release(),
        "docker": command_output(["docker", "version", "--format", "{{.Server.Version}}"]),
        "compose": compose,
        "python": platform.python_version(),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def now() -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())


def save(name: str, record: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(record, indent=1) + "\n")
    return path


def load_all() -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))]


def figure(value, unit: str) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f} {unit}"
    return f"{value:.3g} {unit}" if abs(value) < 10 else f"{value:.1f} {unit}"


def ratio_text(result: Result) -> str:
    return "-" if result.ratio is None else f"{result.ratio:.2f}x"


def met_text(result: Result) -> str:
    return {True: "yes", False: "**no**", None: "-"}[result.met]


def result_rows(results: list[Result]) -> list[str]:
    rows = ["| measured | lanlab | compared with | its figure | ratio | target | met |",
            "|---|---|---|---|---|---|---|"]
    for r in results:
        rows.append(f"| {r.name} | {figure(r.ours, r.unit)} | {r.peer_name} | {figure(r.peer, r.unit)} "
                    f"| {ratio_text(r)} | {r.target or '-'} | {met_text(r)} |")
    return rows


def section(record: dict) -> list[str]:
    results = [Result.from_dict(r) for r in record.get("results", [])]
    m = record.get("machine", {})
    lines = [f"## {record['name']}: {record.get('title', '')}", "",
             f"Run {record.get('date', '?')}, status **{record.get('status', '?')}**, "
             f"{record.get('seconds', 0):.0f} s. Machine: {m.get('cores')} cores, {m.get('memory')}, "
             f"Linux {m.get('kernel')}, Docker {m.get('docker')}, {m.get('compose')}, "
             f"Python {m.get('python')}; load average at start {m.get('load')}.", ""]
    if record.get("about"):
        lines += [record["about"], ""]
    if results:
        lines += [*result_rows(results), ""]
    if record.get("output"):
        lines += [record["output"].strip(), ""]
    for note in record.get("notes", []):
        lines.append(f"- {note}")
    for r in results:
        if r.notes:
            lines.append(f"- {r.name}: {r.notes}")
    commands = [f"make bench ONLY={record['name']}   # all of this section; the steps:"]
    commands += [c for r in results for c in r.commands] + record.get("commands", [])
    if len(commands) > 1:
        unique = list(dict.fromkeys(commands))
        lines += ["", "Commands:", "", "```", *unique, "```"]
    return lines + [""]


def render(records: list[dict]) -> str:
    lines = ["# Benchmarks", "",
             "Written by `make bench` (bench/__main__.py) from docs/bench/*.json; "
             "`make bench ONLY=name` re-runs one benchmark and keeps the others' last results. "
             "Every figure is compared with a peer measured in the same run, on the same machine. "
             "The ratio is lanlab / peer.", "",
             "| benchmark | measured | lanlab | compared with | ratio | target | met |",
             "|---|---|---|---|---|---|---|"]
    for record in records:
        for r in (Result.from_dict(d) for d in record.get("results", [])):
            lines.append(f"| {record['name']} | {r.name} | {figure(r.ours, r.unit)} | "
                         f"{r.peer_name}: {figure(r.peer, r.unit)} | {ratio_text(r)} | "
                         f"{r.target or '-'} | {met_text(r)} |")
        if not record.get("results"):
            lines.append(f"| {record['name']} | ({record.get('status')}; its own table below) "
                         "| - | - | - | - | - |")
    lines.append("")
    for record in records:
        lines += section(record)
    if OTHER.exists():  # figures taken by hand, not by a benchmark: kept as written
        lines += [OTHER.read_text().strip(), ""]
    return "\n".join(lines)


def write_report() -> Path:
    DOCS.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(render(load_all()))
    return REPORT
