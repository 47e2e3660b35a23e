"""bench/bench_dhcp.py reads perfdhcp's report right: drops of both exchanges count."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("bench_dhcp", ROOT / "bench" / "bench_dhcp.py")
bench_dhcp = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_dhcp)

REPORT = """Running: perfdhcp -4 -g single -r 2000 -R 1000 -p 10 -l 10.250.0.1 10.250.0.2
Scenario: basic.
***Rate statistics***
Rate: 1995.5 4-way exchanges/second, expected rate: 2000

***Malformed Packets***
Malformed packets: 0
***Statistics for: DISCOVER-OFFER***
sent packets: 20000
received packets: 19990
drops: 10
drops ratio: 0.05 %
orphans: 0
rejected leases: 0
non unique addresses: 0

min delay: 0.101 ms
avg delay: 0.400 ms
max delay: 12.000 ms
std deviation: 0.300 ms
collected packets: 0

***Statistics for: REQUEST-ACK***
sent packets: 19990
received packets: 19980
drops: 10
drops ratio: 0.05 %
orphans: 0
rejected leases: 0
non unique addresses: 0

min delay: 0.100 ms
avg delay: 0.300 ms
max delay: 11.000 ms
std deviation: 0.200 ms
collected packets: 0
"""


def test_drops_of_both_exchanges_over_discovers_sent():
    result = bench_dhcp.parse_perfdhcp(REPORT)
    assert result["ok"] and result["achieved"] == 1995.5, "the achieved rate is perfdhcp's Rate line"
    assert abs(result["drops"] - 20 / 20000) < 1e-12, \
        "an exchange lost at either step is lost: (10 + 10) / 20000 DISCOVERs = 0.1%"
    assert abs(result["latency_ms"] - 0.7) < 1e-9 and result["completed"] == 19980, \
        "latency adds both steps; completed exchanges are the ACKs received"


def test_a_report_without_answers_is_not_a_pass():
    result = bench_dhcp.parse_perfdhcp("Running: perfdhcp\nError: no answers\n")
    assert not result["ok"] and result["drops"] == 1.0, "no statistics must count as everything dropped"


def test_perfdhcp_acts_as_a_relay_in_its_own_namespace():
    argv = bench_dhcp.perfdhcp_argv(5000, 1000, 10)
    assert argv[:4] == ["ip", "netns", "exec", "cl"], "perfdhcp runs in the client namespace"
    assert ["-g", "single"] == argv[argv.index("-g"):argv.index("-g") + 2], "the issue asks for -g single"
    assert argv[argv.index("-l") + 1] == bench_dhcp.RELAY and argv[-1] == bench_dhcp.SERVER, \
        "with -l and a server address perfdhcp relays (giaddr), as the lab's router does"
