"""The DNS benchmark's pieces that need no Docker: both servers get the same names, and
dnsperf's report is read right. (The figures themselves come from `python -m bench.bench_dns`.)"""
import importlib.util
from pathlib import Path

import dns.name
import dns.rdatatype
import pytest

from lanlab.nameserver.config import parse_config
from lanlab.nameserver.zones import build_zones

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("bench_dns", ROOT / "bench/bench_dns.py")
bench_dns = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_dns)

DNSPERF_2_10 = """\
Statistics:

  Queries sent:         100
  Queries completed:    98 (98.00%)
  Queries lost:         2 (2.00%)

  Response codes:       NOERROR 98 (100.00%)
  Average packet size:  request 37, response 66
  Run time (s):         1.001977
  Queries per second:   97.802690

  Average Latency (s):  0.002127 (min 0.000154, max 0.024054)
  Latency StdDev (s):   0.003800
"""


def test_dnsperf_report_is_read():
    figures = bench_dns.parse_dnsperf(DNSPERF_2_10)
    assert figures["qps"] == pytest.approx(97.80269), "max rate is dnsperf's 'Queries per second'"
    assert figures["latency_ms"] == pytest.approx(2.127), "latency is reported in milliseconds"
    assert figures["lost"] == 2 and figures["completed"] == 98
    assert figures["rcodes"].startswith("NOERROR 98"), "the response codes prove the answers were right"


def test_a_report_without_figures_is_an_error():
    with pytest.raises(RuntimeError, match="Queries per second"):
        bench_dns.parse_dnsperf("dnsperf: cannot open /bench/queries.txt")


def test_both_servers_serve_the_same_names():
    hosts = 40
    zones = build_zones(parse_config(bench_dns.lanlab_config(hosts), env={}))
    records = [arg.split("=", 1)[1].split(",") for arg in bench_dns.dnsmasq_command(hosts) if arg.startswith("--host-record")]
    assert len(records) == hosts + 2, "dnsmasq gets every name lanlab serves"
    for name, address in records:
        owner = dns.name.from_text(name + ".")
        rrset = zones.find(owner).get(owner, dns.rdatatype.A)
        assert rrset is not None and {r.address for r in rrset} == {address}, f"{name} must be {address} in both"
    queries = bench_dns.query_file(hosts).splitlines()
    assert len(queries) == 2 * (hosts + 2), "every name's A and every address's PTR is asked"
    for line in queries:
        name, rdtype = line.split()
        owner = dns.name.from_text(name + ".")
        zone = zones.find(owner)
        assert zone is not None and zone.get(owner, dns.rdatatype.from_text(rdtype)) is not None, \
            f"every query has an answer in lanlab's zones: {line}"


def test_markdown_table_has_both_servers_and_the_ratio():
    server = {"max_qps": 100000.0, "latency_ms": 0.05, "cpu_us": 5.0, "lost": 0, "rcodes": "NOERROR 100 (100.00%)"}
    results = {"date": "2026-01-01 00:00", "cpus": 2, "load": 0.5, "duration_s": 5, "rate": 2000, "runs": 3,
               "latency_runs": 15, "latency_duration_s": 3, "names": 102,
               "servers": {"lanlab": server, "dnsmasq": server},
               "ratio": {"max_qps": 1.0, "latency": 1.0, "cpu": 1.0},
               "latency_rounds": {"median": 0.98, "low": 0.9, "high": 1.05, "lower": 9, "rounds": 15}}
    results["floors"] = {"c-echo": {"latency_ms": 0.0612}}
    table = bench_dns.markdown(results)
    assert "| c-echo (floor: echoes the query, no DNS work) | - | 61.2 us |" in table, table
    assert "| lanlab | 100,000 | 50.0 us |" in table and "| dnsmasq |" in table and "1.00x" in table, table
    assert "lanlab lower in 9 of 15" in table and "0.90-1.05x" in table, \
        "the reader sees how the two servers compared round by round, not only the medians"


def test_rounds_are_compared_pair_by_pair():
    rounds = bench_dns.paired([50.0, 60.0, 40.0, 55.0], [55.0, 50.0, 50.0, 55.0])
    assert rounds["lower"] == 2, "a tie is not a win: lower means strictly lower"
    assert rounds["rounds"] == 4
    assert rounds["median"] == pytest.approx((50 / 55 + 1.0) / 2), "the median of the four round ratios"
    assert rounds["low"] <= rounds["median"] <= rounds["high"]


def test_neither_server_always_goes_first():
    orders = bench_dns.turns(4, ["lanlab", "dnsmasq"])
    assert orders == [["lanlab", "dnsmasq"], ["dnsmasq", "lanlab"]] * 2, \
        "the run after another server's is faster by a few microseconds: the servers take turns"


@pytest.mark.parametrize("count", [2, 3, 4, 5])
def test_every_contender_is_measured_in_every_place_and_after_every_other(count):
    names = [f"s{i}" for i in range(count)]
    rows = 2 * count if count % 2 else count
    orders = bench_dns.turns(rows, names)
    assert all(sorted(order) == names for order in orders), "every round measures every contender once"
    for name in names:
        places = sorted(order.index(name) for order in orders)
        assert places == sorted(list(range(count)) * (rows // count)), f"{name} in every place equally often"
    pairs = [(a, b) for order in orders for a, b in zip(order, order[1:])]
    for a in names:
        for b in names:
            if a != b:
                assert pairs.count((a, b)) == rows // count, \
                    f"{b} follows {a} as often as any other pair: a run depends on the run before it"


def test_the_python_floor_answers_what_dnsperf_counts(monkeypatch):
    """The Python floor, run against a fake socket: it must set QR and AA and keep the ID,
    or dnsperf would not count its replies and the floor would measure nothing."""
    query = bytes.fromhex("1234" "0100" "0001 0000 0000 0000".replace(" ", "")) + b"\x04h001\x03lab\x08internal\x00\x00\x01\x00\x01"
    sent = []

    class FakeSocket:
        def __init__(self, *args):
            self.queue = [(query, ("192.0.2.9", 5353))]

        def bind(self, address):
            assert address == ("0.0.0.0", 53)

        def recvfrom(self, size):
            if not self.queue:
                raise StopIteration  # ends the floor's endless loop
            return self.queue.pop()

        def sendto(self, data, peer):
            sent.append((data, peer))

    import socket
    monkeypatch.setattr(socket, "socket", FakeSocket)
    with pytest.raises(StopIteration):
        exec(compile(bench_dns.PYTHON_ECHO, "echo.py", "exec"), {})
    (reply, peer), = sent
    assert peer == ("192.0.2.9", 5353) and reply[:2] == query[:2], "the reply goes back with the query's ID"
    assert reply[2] & 0x84 == 0x84 and reply[3:] == query[3:], "QR and AA set, the rest as asked"


def test_the_c_floor_builds_where_gcc_is(tmp_path):
    import shutil
    import subprocess
    if shutil.which("gcc") is None:
        pytest.skip("no gcc on this machine: the bench skips the C floor too")
    libc = subprocess.run(["gcc", "-print-file-name=libc.a"], capture_output=True, text=True).stdout.strip()
    if not Path(libc).is_absolute() or not Path(libc).exists():
        pytest.skip("gcc without a static libc (libc6-dev): the bench skips the C floor too, with a line")
    assert bench_dns.build_c_echo(tmp_path), "the C floor compiles, statically, with the machine's gcc"
    assert (tmp_path / "echo").stat().st_mode & 0o111, "and is a program the container can run"
