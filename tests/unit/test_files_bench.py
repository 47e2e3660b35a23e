"""bench/bench_files.py's pure parts: reading fetch's summary line, the report table."""
import importlib.util
from pathlib import Path

import pytest

from lanlab.files import fetch

PATH = Path(__file__).resolve().parents[2] / "bench" / "bench_files.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_files", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rate_is_read_from_fetchs_summary_line(bench, tmp_path, capsys, monkeypatch):
    # fetch's own summary line, made by fetch.main's format: the bench parses exactly that
    line = "fetch: bench-1g.bin: 1073741824 bytes in 2.00 s (537 MB/s), sha256 ok -> /dev/null"
    match = bench.RATE.search(line)
    assert match and int(match.group(1)) / float(match.group(2)) == 1073741824 / 2, \
        "the bench times a fetch by its summary line; the two must agree on its shape"
    source = Path(fetch.__file__).read_text()
    assert 'bytes in {took:.2f} s' in source, "fetch still prints `N bytes in T s`"


def test_report_table(bench):
    memory = {"before_kib": 14000, "peak_kib": 20480, "hwm_kib": 21000, "samples": 40,
              "finished": 20, "clients": 20, "seconds": 12.0}
    result = bench.report("10.0.0.9", [100e6, 110e6, 120e6], [99e6, 104e6, 130e6], memory, 3, 5, 20, 1024)
    rows = result["rows"]
    assert rows[0]["ratio"] == f"{104 / 110:.2f}" and rows[0]["met"], "the medians are compared: 104/110 >= 0.9"
    assert rows[1]["met"] and "20.0 MiB peak" in rows[1]["lanlab"], "20 MiB is under the 50 MiB target"
    assert result["markdown"].count("\n| ") == 3, "a header and one line per measure"
    assert "iperf3 -c 10.0.0.9" in result["markdown"], "the commands to reproduce are in the report"


def test_report_marks_a_missed_target(bench):
    memory = {"before_kib": 14000, "peak_kib": 60 * 1024, "hwm_kib": 61 * 1024, "samples": 1,
              "finished": 3, "clients": 20, "seconds": 180.0}
    rows = bench.report("x", [100e6], [50e6], memory, 1, 5, 20, 1024)["rows"]
    assert not rows[0]["met"] and not rows[1]["met"], "a missed target must say so, not hide it"
