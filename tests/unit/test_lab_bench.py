"""bench/bench_lab.py's checks that need no Docker."""
import ipaddress

from bench import bench_lab


def nets(*texts):
    return [ipaddress.ip_network(text) for text in texts]


def test_a_network_left_in_the_bench_addresses_stops_the_bench_with_its_name():
    """A floor network left with a stale endpoint (moby#42119) made every generated size
    fail with 'Pool overlaps'; the bench must say which route is in the way, up front."""
    base = bench_lab.BASE
    routes = nets("0.0.0.0/0", "172.17.0.0/16", f"{base}.9.0/24", "192.168.7.0/24")
    assert bench_lab.overlapping_routes(routes) == [f"{base}.9.0/24"], \
        "only routes inside BASE.0.0/16 count; the default route is everywhere and is not one"
    assert bench_lab.overlapping_routes(nets("0.0.0.0/0", "172.17.0.0/16")) == [], "a clean machine runs"
