"""The benchmark runner: it runs what exists, survives what fails, stops what overruns,
and writes a report with the ratio (no Docker needed: the benchmarks here are fakes)."""
import importlib
import textwrap

import pytest

from bench import Result, report

runner = importlib.import_module("bench.__main__")

FAKES = {
    "ok": '''
        """Fake: returns one result."""
        from bench import Result
        def run(ctx):
            ctx.say("working")
            return [Result("speed", 20.0, "peer", 10.0, "ops/s", True, ">= 1x peer", True,
                           commands=("fake --fast",))]
    ''',
    "broken": '''
        """Fake: raises."""
        def run(ctx):
            raise RuntimeError("the peer is not installed")
    ''',
    "slow": '''
        """Fake: overruns its budget."""
        import time
        BUDGET = 1
        def run(ctx):
            try:
                time.sleep(60)
            finally:
                open(ctx.env["FAKE_MARK"], "w").write("unwound")
        def cleanup(ctx):
            open(ctx.env["FAKE_MARK"], "a").write(" and cleaned")
    ''',
    "alone": '''
        """Fake: only runnable alone."""
        import sys
        def run(duration=5):
            return {"qps": 3}
        if __name__ == "__main__":
            print("progress", file=sys.stderr)
            print("| what | figure |")
            print("| measured | 3 things |")
    ''',
}


@pytest.fixture
def fakes(tmp_path, monkeypatch):
    package = tmp_path / "fakebench"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, text in FAKES.items():
        (package / f"bench_{name}.py").write_text(textwrap.dedent(text))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", f"{tmp_path}:{runner.ROOT}")
    monkeypatch.setenv("LANLAB_BENCH_PACKAGE", "fakebench")
    monkeypatch.setenv("FAKE_MARK", str(tmp_path / "mark"))
    monkeypatch.setattr(runner, "PACKAGE", "fakebench")
    monkeypatch.setattr(runner, "SLACK", 0)
    monkeypatch.setattr(report, "machine", lambda: {"cores": 2})
    return tmp_path


def test_every_module_is_found_and_one_can_be_chosen(fakes):
    assert runner.available() == ["alone", "broken", "ok", "slow"], "every bench_*.py is a benchmark"
    assert runner.selection("ok,nosuch") == ["ok"], "a missing benchmark is reported, the others still run"


def test_results_come_back_from_the_child(fakes):
    record = runner.run_one("ok")
    assert record["status"] == "ok" and record["title"] == "Fake: returns one result.", \
        "the report names each benchmark by its docstring's first line"
    assert Result.from_dict(record["results"][0]).ratio == 2.0, "the ratio is ours / peer"


def test_a_failing_benchmark_is_reported_not_fatal(fakes):
    record = runner.run_one("broken")
    assert record["status"].startswith("error: RuntimeError: the peer is not installed"), \
        "one broken benchmark must not stop `make bench`, and must say why"


def test_an_overrunning_benchmark_is_stopped_and_cleans_up(fakes):
    record = runner.run_one("slow")
    assert record["status"].startswith("stopped"), f"the budget must be enforced: {record['status']}"
    assert record["seconds"] < 30, "stopped near its budget, not when it chose to end"
    assert (fakes / "mark").read_text() == "unwound and cleaned", \
        "a stopped benchmark must unwind its finally blocks and run cleanup(): labs come down"


def test_a_module_without_run_ctx_is_run_alone(fakes):
    assert not runner.has_run("alone") and runner.has_run("ok"), \
        "a run() that does not take the runner's ctx must not be called with one"
    record = runner.run_one("alone")
    assert record["status"].startswith("ok (run alone"), record["status"]
    assert record["output"] == "| what | figure |\n| measured | 3 things |", \
        "what it prints on stdout is its report; progress on stderr is not"
    assert "| measured | 3 things |" in report.render([{"name": "alone", **record}]), \
        "its own table must reach docs/benchmarks.md"


def test_report_shows_figures_ratio_machine_and_commands():
    record = {"name": "dns", "title": "DNS queries", "date": "2026-01-01 00:00 UTC", "status": "ok",
              "seconds": 12, "machine": {"cores": 2, "memory": "23.5 GiB", "docker": "20.10.24",
                                         "compose": "docker-compose 1.29.2"},
              "results": [Result("queries/s", 150000, "dnsmasq", 142000, "queries/s", True,
                                 ">= 1x dnsmasq", True, commands=("dnsperf -s 10.0.0.3",)).to_dict()]}
    text = report.render([record])
    assert "| dns | queries/s | 150,000 queries/s | dnsmasq: 142,000 queries/s | 1.06x | >= 1x dnsmasq | yes |" in text, \
        "the summary row must carry both figures, the ratio and the verdict"
    assert "2 cores" in text and "Docker 20.10.24" in text and "docker-compose 1.29.2" in text, \
        "figures mean little without the machine they came from"
    assert "dnsperf -s 10.0.0.3" in text, "the exact commands must be there to reproduce it"
