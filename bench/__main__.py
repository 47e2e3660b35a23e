"""`python -m bench [--only lab,dns] [--list] [--report]`: run lanlab's benchmarks.

Each bench/bench_NAME.py runs in a child process bounded by its BUDGET (seconds, default
600; LANLAB_BENCH_BUDGET_SCALE multiplies every budget); its results go to
docs/bench/NAME.json and docs/benchmarks.md is written again from all of them.
`--report` only rewrites docs/benchmarks.md. The interface is in bench/__init__.py.
"""
from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque

from bench import ROOT, Budget, Context, report

DEFAULT_BUDGET = 600
GRACE = 120          # seconds a stopped benchmark gets to clean up
SLACK = 10           # seconds past the budget before the runner steps in
PACKAGE = os.environ.get("LANLAB_BENCH_PACKAGE", "bench")   # another one only in the runner's tests


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def package_dir():
    if PACKAGE == "bench":
        return ROOT / "bench"
    from importlib.util import find_spec
    from pathlib import Path
    return Path(find_spec(PACKAGE).origin).parent


def source(name: str) -> str:
    return (package_dir() / f"bench_{name}.py").read_text()


def available() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in package_dir().glob("bench_*.py"))


def module_name(name: str) -> str:
    return f"{PACKAGE}.bench_{name}"


def budget_of(name: str) -> float:
    """The module's BUDGET, read without importing it (an import may fail or be slow)."""
    scale = float(os.environ.get("LANLAB_BENCH_BUDGET_SCALE", "1"))
    for line in source(name).splitlines():
        if line.startswith("BUDGET") and "=" in line:
            try:
                return float(line.split("=", 1)[1].split("#")[0]) * scale
            except ValueError:
                break
    return DEFAULT_BUDGET * scale


def title_of(name: str) -> tuple[str, str]:
    """The module docstring's first line and the rest (what was measured)."""
    import ast
    try:
        doc = ast.get_docstring(ast.parse(source(name))) or ""
    except SyntaxError:
        doc = ""
    first, _, rest = doc.partition("\n")
    return first.strip(), rest.strip()


# --- the child: one benchmark, in its own process ---------------------------------------

def child(name: str, out_path: str, budget: float) -> int:
    def stop(signum, frame):
        raise Budget(f"time budget of {budget:.0f} s spent")
    signal.signal(signal.SIGTERM, stop)
    ctx = Context(name, budget)
    record = {"status": "ok", "results": [], "notes": ctx.notes}
    module = None
    try:
        module = importlib.import_module(module_name(name))
        results = module.run(ctx)
        record["results"] = [r.to_dict() for r in results or []]
    except Budget as why:
        record["status"] = f"stopped: {why}"
        call_cleanup(module, ctx)
    except Exception as error:  # noqa: BLE001 - one failing benchmark must not stop the others
        record["status"] = f"error: {type(error).__name__}: {error}"
        call_cleanup(module, ctx)
    with open(out_path, "w") as handle:
        json.dump(record, handle)
    return 0


def call_cleanup(module, ctx: Context) -> None:
    cleanup = getattr(module, "cleanup", None)
    if cleanup is not None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            cleanup(ctx)
        except Exception as error:  # noqa: BLE001
            ctx.note(f"cleanup failed: {error}")


# --- the parent ---------------------------------------------------------------------------

def has_run(name: str) -> bool:
    """Does the module follow the interface: a top-level `def run(ctx, ...)`?"""
    import ast
    try:
        tree = ast.parse(source(name))
    except SyntaxError:
        return False
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "run":
            return bool(node.args.args) and node.args.args[0].arg == "ctx"
    return False


def run_one(name: str) -> dict:
    budget = budget_of(name)
    title, about = title_of(name)
    record = {"name": name, "title": title, "about": about, "date": report.now(),
              "machine": report.machine(), "budget": budget}
    started = time.monotonic()
    if has_run(name):
        record.update(run_child(name, budget))
    else:
        record.update(run_alone(name, budget))
    record["seconds"] = time.monotonic() - started
    return record


def run_child(name: str, budget: float) -> dict:
    with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
        argv = [sys.executable, "-m", "bench", "--child", name, out.name, str(budget)]
        process = subprocess.Popen(argv, cwd=ROOT, start_new_session=True)
        if not finish(process, budget):
            return {"status": f"killed: did not stop within {GRACE} s of its budget", "results": []}
        text = open(out.name).read()
    return json.loads(text) if text else {"status": f"error: exit {process.returncode}, no results",
                                          "results": []}


def finish(process: subprocess.Popen, budget: float) -> bool:
    """Wait out the budget; then SIGTERM (cleanup runs), then SIGKILL. False if killed.
    Ctrl-C stops the benchmark the same way (it runs in its own session)."""
    try:
        process.wait(timeout=budget + SLACK)
        return True
    except subprocess.TimeoutExpired:
        say(f"budget of {budget:.0f} s spent: stopping it (it cleans up)")
        os.killpg(process.pid, signal.SIGTERM)
    except KeyboardInterrupt:
        say("interrupted: stopping the benchmark (it cleans up)")
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=GRACE)
        raise
    try:
        process.wait(timeout=GRACE)
        return True
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return False


def run_alone(name: str, budget: float) -> dict:
    """A module without run(ctx): `python -m bench.bench_NAME`, bounded. What it prints on
    stdout (a markdown table, say) goes into the report as it is; stderr is progress."""
    argv = [sys.executable, "-m", module_name(name)]
    process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    output: deque[str] = deque(maxlen=200)
    progress: deque[str] = deque(maxlen=5)
    readers = [threading.Thread(target=echo, args=(process.stdout, output, name), daemon=True),
               threading.Thread(target=echo, args=(process.stderr, progress, name), daemon=True)]
    for reader in readers:
        reader.start()
    killed = not finish(process, budget)
    for reader in readers:
        reader.join(timeout=5)
    status = "killed" if killed else ("ok" if process.returncode == 0 else f"exit {process.returncode}")
    notes = [] if process.returncode == 0 else ["its last words:", *[f"`{line}`" for line in progress]]
    return {"status": f"{status} (run alone: it has no run(ctx))", "results": [], "notes": notes,
            "output": "\n".join(output), "commands": [f"python -m {module_name(name)}"]}


def echo(stream, keep: deque, name: str) -> None:
    for line in stream:
        line = line.rstrip("\n")
        keep.append(line)
        print(f"bench[{name}]: {line}", file=sys.stderr, flush=True)


def selection(only: str | None) -> list[str]:
    names = available()
    if not only:
        return names
    wanted = [n.strip() for n in only.split(",") if n.strip()]
    for missing in [n for n in wanted if n not in names]:
        say(f"no benchmark named {missing!r} (bench/bench_{missing}.py); there are: {', '.join(names)}")
    return [n for n in wanted if n in names]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--child"]:
        return child(args[1], args[2], float(args[3]))
    if args[:1] == ["--list"]:
        print("\n".join(f"{n}  ({budget_of(n):.0f} s)  {title_of(n)[0]}" for n in available()))
        return 0
    if args[:1] != ["--report"]:
        only = args[args.index("--only") + 1] if "--only" in args and len(args) > args.index("--only") + 1 else None
        names = selection(only)
        if not names:
            say("nothing to run")
            return 1
        for index, name in enumerate(names, 1):
            say(f"[{index}/{len(names)}] {name}: {title_of(name)[0]} (at most {budget_of(name):.0f} s)")
            record = run_one(name)
            report.save(name, record)
            say(f"[{index}/{len(names)}] {name}: {record['status']} in {record['seconds']:.0f} s")
    path = report.write_report()
    say(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
