"""The calls benchmark's arithmetic (bench/bench_calls.py): medians, and a run stopped at
the time limit scaled to the whole file by the share it had read."""
from __future__ import annotations

from bench import bench_calls


def run(seconds, read=0, timed_out=False, stopped=1000):
    return {"seconds": seconds, "whole": seconds + 1, "stopped": stopped, "calls": stopped // 2,
            "timed_out": timed_out, "read": read}


def test_whole_runs_are_medians_and_the_cost_is_per_stopped_syscall():
    figures = bench_calls.summarize({"plain": [0.5, 0.4, 0.6], "recorded": [run(0.9), run(0.7), run(0.8)]})
    assert (figures["plain"], figures["recorded"], figures["partial"]) == (0.5, 0.8, False), \
        "three runs each way give their medians"
    assert round(figures["per_call_us"]) == 300, "0.3 s more over 1000 stopped syscalls is 300 us each"


def test_a_run_cut_short_by_the_server_is_scaled_too():
    figures = bench_calls.summarize({"plain": [2.0], "recorded": [run(100, read=50)]}, size=100)
    assert figures["partial"] and figures["recorded"] == 200, \
        "a run that ended with half the file (the server dropped it) counts as half a run"


def test_a_run_stopped_at_the_limit_is_scaled_by_what_it_read():
    figures = bench_calls.summarize({"plain": [2.0], "recorded": [run(480, read=25, timed_out=True)]}, size=100)
    assert figures["partial"] and figures["recorded"] == 1920, \
        "a quarter of the file in 480 s is the whole in 1920 s"
    assert round(figures["per_call_us"]) == round((480 - 0.5) / 1000 * 1e6), \
        "the cost per call counts only the plain time of the part read"
