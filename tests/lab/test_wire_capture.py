"""`make capture` in the running lab: live lines with names, Ctrl-C at any moment, and a
capture left by a killed run removed by the next one."""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from lanlab.wire.capture import CAPTURE_LABEL, read_pcap

ROOT = Path(__file__).resolve().parents[2]


def project() -> str:
    return os.environ.get("LANLAB_PROJECT", "lanlab")


def captures() -> list[str]:
    return subprocess.run(["docker", "ps", "-aq", "--filter", f"label={CAPTURE_LABEL}={project()}"],
                          capture_output=True, text=True).stdout.split()


class Running:
    """`python -m lanlab.control capture ...` with its output lines in queues."""

    def __init__(self, *args: str):
        self.process = subprocess.Popen([sys.executable, "-m", "lanlab.control", "capture", *args], cwd=ROOT,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.out: queue.Queue[str] = queue.Queue()
        self.err: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        for stream, into in ((self.process.stdout, self.out), (self.process.stderr, self.err)):
            threading.Thread(target=lambda s=stream, q=into: [q.put(line) for line in s], daemon=True).start()

    def wait_for(self, into: queue.Queue, text: str, timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = into.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"no line with {text!r} within {timeout} s; seen: {''.join(self.seen)}")

    def interrupt(self, timeout: float = 60) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=timeout)

    def rest(self) -> str:
        lines = []
        while not self.err.empty():
            lines.append(self.err.get())
        return "".join(lines)


def test_live_lines_with_names_then_ctrl_c(lab, node, tmp_path):
    running = Running("--net=lan-a", f"--out={tmp_path}")
    try:
        running.wait_for(running.err, "Ctrl-C stops")
        node("alice").ok("ping -c 1 -W 2 $(ip route show default | awk '{print $3}')")
        line = running.wait_for(running.out, "alice -> router  ICMP echo request")
        assert line.startswith("lan-a "), f"each line names the network first: {line}"
        code = running.interrupt()
    finally:
        running.process.kill()
    summary = running.rest()
    assert code == 0, f"Ctrl-C is how an open-ended capture ends: exit 0\n{summary}"
    assert "lan-a: " in summary and "0 dropped by the kernel" in summary, f"the kernel's drop count:\n{summary}"
    frames = list(read_pcap(tmp_path / "lan-a.pcap"))
    assert frames, "the pcap file holds the frames"
    assert not (tmp_path / ".ring").exists(), "the ring's files are joined and gone"
    assert not captures(), "no capture container is left"


@pytest.mark.parametrize("after", [0.3, 2.0, 6.0])
def test_ctrl_c_at_any_moment_leaves_nothing(lab, tmp_path, after):
    running = Running("--seconds=60", f"--out={tmp_path}")
    time.sleep(after)       # the moment of the Ctrl-C is what this test varies
    code = running.interrupt()
    assert code != 0, f"a timed capture stopped early is not a success: {running.rest()}"
    assert not captures(), f"nothing left after Ctrl-C at {after} s: {running.rest()}"
    assert not (tmp_path / ".ring").exists(), "no ring directory is left"


def test_a_killed_runs_capture_is_removed_by_the_next(lab, tmp_path):
    running = Running("--net=lan-a", f"--out={tmp_path / 'killed'}")
    running.wait_for(running.err, "Ctrl-C stops")
    running.process.kill()                       # SIGKILL: no clean-up runs
    running.process.wait(timeout=30)
    left = captures()
    assert left, "a killed run leaves its capture container (this is what the next run must clean)"
    result = subprocess.run([sys.executable, "-m", "lanlab.control", "capture", "--net=lan-a", "--seconds=1",
                             f"--out={tmp_path / 'next'}"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"the next capture runs: {result.stderr}"
    assert not captures(), "the next capture removed the leftover, and its own"
