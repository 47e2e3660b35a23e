"""The grade benchmark's class, made without Docker: who is correct and who has which bug."""
from __future__ import annotations

import filecmp
from pathlib import Path

from bench import bench_grade

ROOT = Path(__file__).resolve().parents[2]


def test_the_class_has_thirty_students_and_six_bugs(tmp_path):
    bench_grade.make_class(tmp_path)
    students = sorted(p.name for p in tmp_path.iterdir())
    assert len(students) == bench_grade.STUDENTS == 30, f"30 workspaces: {students}"
    solution = ROOT / "lessons" / "solutions" / "locks" / "tickets.py"
    correct = [s for s in students if filecmp.cmp(tmp_path / s / "locks" / "tickets.py", solution, shallow=False)]
    assert len(correct) == 29, "only one student has the lockless ticket office"
    buggy = tmp_path / students[-6] / "download" / "client.py"
    assert "recv(1024)" in buggy.read_text(), "the first buggy student has the one-recv download"
    assert filecmp.cmp(tmp_path / students[0] / "download" / "client.py",
                       ROOT / "lessons" / "solutions" / "download" / "client.py", shallow=False), \
        "the first student is correct"
