"""Per-link sampling under a flood (lanlab/view/sampler.py)."""
from __future__ import annotations

from lanlab.view.sampler import MAX_LINKS, Sampler

AB = ("lan-a", "alice", "router")
BA = ("lan-a", "router", "alice")


def test_a_flood_on_one_link_is_counted_not_sent():
    sampler = Sampler(per_link=10, total=100)
    sent = sum(sampler.admit(AB, 0.001 * i) for i in range(10_000))
    assert sent == 10, "one link passes at most per_link frames a window; the rest are only counted"
    counts = sampler.flush(1.0)
    assert counts == [{"kind": "count", "network": "lan-a", "src": "alice", "dst": "router",
                       "dropped": 9990, "passed": 10, "seconds": 1.0}], "the page learns how many it missed"


def test_other_links_still_pass_during_a_flood():
    sampler = Sampler(per_link=10, total=100)
    for i in range(1000):
        sampler.admit(AB, 0.0)
    assert sampler.admit(BA, 0.0), "a flood on one link must not hide the others"


def test_total_cap_and_new_window():
    sampler = Sampler(per_link=5, total=20)
    links = [("lan-b", f"h{i}", "router") for i in range(50)]
    sent = sum(sampler.admit(link, 0.0) for link in links for _ in range(5))
    assert sent == 20, "over all links at most `total` frames pass a window"
    assert not sampler.due(0.5) and sampler.due(1.0), "a window lasts one second"
    sampler.flush(1.0)
    assert sampler.admit(links[0], 1.0), "a new window passes frames again"


def test_distinct_links_are_bounded():
    sampler = Sampler(per_link=1, total=10**9)
    for i in range(MAX_LINKS * 2):
        sampler.admit(("lan-a", f"02:00:00:{i:06x}", "*"), 0.0)
    assert len(sampler.passed) + len(sampler.dropped) <= MAX_LINKS + 2, \
        "spoofed source addresses must not grow the server without bound"
