"""`make check` (its Python entry, `python -m lanlab.control check LESSON WORK`) on our own
solutions (lessons/solutions/: every check passes) and on broken variants
(tests/lessons/broken/<variant>/<lesson>/: the exact checks that must fail, with their
hints), in the running lab. And the learner's sandbox: /work is there, and a learner's
program cannot change the lab.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lanlab.control.generate import WORK_DIR
from lanlab.lessons.messages import EN, ZH
from lanlab.lessons.runner import archive

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "lessons" / "solutions"
BROKEN = ROOT / "tests" / "lessons" / "broken"
CONTRACTS = {"udp": 6, "tcp": 6, "download": 5, "chat": 5, "locks": 4}


def check(lesson: str, workspace: Path, lang: str = "en") -> tuple[int, dict[str, str], str]:
    """Exit status, {lesson/check: its line}, stderr."""
    env = {**os.environ, "LANLAB_LANG": lang}
    result = subprocess.run([sys.executable, "-m", "lanlab.control", "check", lesson, str(workspace)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    lines = {}
    for line in result.stdout.splitlines():
        parts = line.split()
        if len(parts) > 1 and "/" in parts[1]:
            lines[parts[1]] = line
    return result.returncode, lines, result.stderr


def failing(lines: dict[str, str], label: str = EN["label.fail"]) -> set[str]:
    return {name for name, line in lines.items() if line.startswith(label)}


def workspace_with(tmp_path: Path, variant: str | None = None) -> Path:
    """Our solutions, with one broken variant's files laid over them."""
    folder = tmp_path / "work"
    shutil.copytree(SOLUTIONS, folder)
    if variant:
        shutil.copytree(BROKEN / variant, folder, dirs_exist_ok=True)
    return folder


@pytest.mark.parametrize("lesson", sorted(CONTRACTS))
def test_our_solutions_pass_every_check(lab, tmp_path, lesson):
    code, lines, err = check(lesson, workspace_with(tmp_path))
    assert not failing(lines), f"our own {lesson} programs must pass every check: {failing(lines)} {lines}"
    assert len(lines) == CONTRACTS[lesson], f"one line per check of {lesson}: {lines} {err}"
    assert code == 0, f"all passed means exit status 0: {code} {err}"


BROKEN_CASES = {
    # variant: (lesson, the checks that must fail, a phrase of the seen text, a hint key)
    "no-address": ("udp", {"udp/receiver-address"}, "udp-chat-", "udp.receiver-address.hint"),
    "one-client": ("tcp", {"tcp/server-next-client", "tcp/server-keeps-running"},
                   "Connection refused", "tcp.server-next-client.hint"),
    "one-recv": ("download", {"download/client-big"}, "got 1024 of 104857600 bytes", "download.client-big.hint"),
    "lockless": ("locks", {"locks/exactly-count-sold", "locks/each-number-once"}, "OK for 100 tickets",
                 "locks.exactly-count-sold.hint"),
    "no-daemon": ("chat", {"chat/exit-ends"}, "after `exit`", "chat.exit-ends.hint"),
}


@pytest.mark.parametrize("variant", sorted(BROKEN_CASES))
def test_a_broken_program_fails_its_own_check_with_its_hint(lab, tmp_path, variant):
    lesson, expected, phrase, hint = BROKEN_CASES[variant]
    code, lines, err = check(lesson, workspace_with(tmp_path, variant))
    assert failing(lines) == expected, \
        f"the {variant} bug must fail exactly {expected}, nothing else: {failing(lines)} {lines}"
    line = lines[hint.rsplit(".", 1)[0].replace(".", "/", 1)]
    assert EN[hint] in line, f"the failing line carries the hint that points at the bug: {line}"
    assert any(phrase in lines[name] for name in expected), f"and says what was seen ({phrase!r}): {lines}"
    assert code == 1, f"a failed check means exit status 1: {code}"


def test_a_runaway_program_is_stopped_and_its_children_killed(lab, node, tmp_path):
    code, lines, err = check("udp", workspace_with(tmp_path, "runaway"))
    assert failing(lines) == {"udp/sender-by-name", "udp/sender-by-address"}, \
        f"a sender that floods and never ends fails the sender checks only: {lines}"
    assert "had not ended after" in lines["udp/sender-by-name"], f"and the line says it was stopped: {lines}"
    assert "sleep" in err, f"the child it left in a session of its own is named as killed: {err!r}"
    for name in ("alice", "carol"):
        left = node(name).sh("pgrep -u learner -l").out
        assert not left, f"nothing of the learner's runs on {name} after the check: {left}"
    assert "9090" in node("carol").ok("ss -Hlun 'sport = :9090'"), "the lab's own chat listener is back on 9090"


def test_chinese_lines_when_asked(lab, tmp_path):
    code, lines, err = check("udp", workspace_with(tmp_path, "no-address"), lang="zh")
    assert failing(lines, ZH["label.fail"]) == {"udp/receiver-address"}, f"the same verdicts in Chinese: {lines}"
    assert ZH["udp.receiver-address.hint"] in lines["udp/receiver-address"], \
        f"with the Chinese hint: {lines['udp/receiver-address']}"


def test_an_unknown_lesson_or_workspace_is_one_line(lab, tmp_path):
    for args in (["check", "nosuch"], ["check", "udp", str(tmp_path / "absent")]):
        result = subprocess.run([sys.executable, "-m", "lanlab.control", *args], cwd=ROOT, timeout=60,
                                capture_output=True, text=True, env={**os.environ, "LANLAB_LANG": "en"})
        assert result.returncode == 1 and result.stderr.startswith("lanlab: error: "), \
            f"a mistake is one line and exit status 1: {result}"
        assert len(result.stderr.strip().splitlines()) == 1, f"one line only: {result.stderr}"


def test_the_workspace_is_at_work_in_every_node(lab, node):
    WORK_DIR.mkdir(exist_ok=True)
    marker = WORK_DIR / f".mount-test-{os.getpid()}"
    marker.write_text("seen from the node\n")
    try:
        for name in ("alice", "carol", "router", "dns"):
            out = node(name).sh(f"cat /work/{marker.name}").out
            assert "seen from the node" in out, f"work/ on this machine is /work in {name}: {out!r}"
    finally:
        marker.unlink()


def test_a_learners_program_cannot_change_the_lab(lab, node):
    alice = node("alice")
    down = alice.sh("learner ip link set eth0 down")
    assert down.code != 0 and "not permitted" in down.err, f"the learner cannot take an interface down: {down}"
    low = alice.sh("learner python3 -c \"import socket; socket.socket().bind(('', 80))\"")
    assert low.code != 0 and "Permission denied" in low.err, f"ports below 1024 need root: {low}"
    high = alice.sh("learner python3 -c \"import socket; socket.socket().bind(('', 8080)); print('bound')\"")
    assert "bound" in high.out, f"a port from 1024 up is the learner's: {high}"
    caps = alice.ok("learner grep CapEff /proc/self/status")
    assert caps.split()[-1] == "0000000000000000", f"the learner's program has no capability: {caps}"
    assert alice.sh("ip link show eth0").out.count("UP") >= 1, "and the lab is as it was"


def test_grade_a_folder_of_mixed_submissions(lab, tmp_path):
    submissions = tmp_path / "submissions"
    shutil.copytree(SOLUTIONS, submissions / "ann")
    shutil.copytree(SOLUTIONS, submissions / "ben")
    for variant in ("one-client", "lockless"):
        shutil.copytree(BROKEN / variant, submissions / "ben", dirs_exist_ok=True)
    (submissions / "cai").mkdir()
    result = subprocess.run([sys.executable, "-m", "lanlab.control", "grade", str(submissions), "tcp,locks"],
                            cwd=ROOT, capture_output=True, text=True, timeout=1800,
                            env={**os.environ, "LANLAB_LANG": "en"})
    assert result.returncode == 0, f"grading is done even when students fail: {result.stderr[-2000:]}"
    import csv
    rows = list(csv.DictReader((submissions / "results.csv").open()))
    assert list(rows[0]) == ["student", "lesson", "check", "passed", "detail"], "the CSV's columns"
    failed = {(r["student"], f"{r['lesson']}/{r['check']}") for r in rows if r["passed"] == "no"}
    assert not {f for f in failed if f[0] == "ann"}, f"our solutions pass every check: {failed}"
    assert {f[1] for f in failed if f[0] == "ben"} == {
        "tcp/server-next-client", "tcp/server-keeps-running",
        "locks/exactly-count-sold", "locks/each-number-once"}, f"ben's two bugs, and only those: {failed}"
    cai = [r for r in rows if r["student"] == "cai"]
    assert cai and all(r["passed"] == "no" and "no file" in r["detail"] for r in cai), \
        f"an empty workspace fails every check, saying the file is missing: {cai}"
    total = len([r for r in rows if r["student"] == "ann"])
    assert total == CONTRACTS["tcp"] + CONTRACTS["locks"], f"one row per check: {total}"
    summary = (submissions / "summary.md").read_text()
    assert f"| ann | {total} | {total} |" in summary and f"| cai | 0 | {total} |" in summary, \
        f"summary.md: student, passed, total: {summary}"
    table = {line.split()[0]: line.split()[1:3] for line in result.stdout.splitlines() if line.strip()}
    assert table.get("ben") == [str(total - 4), str(total)], f"and the summary on the terminal: {result.stdout}"
    assert {r["student"] for r in rows} == {"ann", "ben", "cai"}, "every student, none else"


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Learning with lanlab", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_the_readmes_learning_commands_work_as_written(lab, node, tmp_path):
    commands = readme_commands()
    learner = next(c for c in commands if c.startswith("learner "))
    carol = node("carol")
    carol.ok("rm -rf /tmp/readme && mkdir -p /tmp/readme")
    carol.container.put_archive("/tmp/readme", archive(SOLUTIONS))
    run = carol.sh(f"timeout 3 {learner.replace('/work/', '/tmp/readme/')}; rm -rf /tmp/readme")
    assert "listening on UDP 9999" in run.out, f"`{learner}` runs the program in a node: {run}"
    shown = next(c for c in commands if "WORK=lessons/solutions" in c)
    result = subprocess.run(shown.split(), cwd=ROOT, capture_output=True, text=True, timeout=900,
                            env={**os.environ, "LANLAB_LANG": "en"})
    assert result.returncode == 0 and f"{CONTRACTS['udp']} of {CONTRACTS['udp']} checks passed" in result.stdout, \
        f"`{shown}` passes, as the README says: {result.stdout[-1500:]} {result.stderr[-500:]}"
    grade = next(c for c in commands if c.startswith("make grade"))
    submissions = tmp_path / "submissions"
    shutil.copytree(SOLUTIONS, submissions / "ann")
    argv = [part.replace("DIR=submissions", f"DIR={submissions}") for part in grade.split()]
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=1800,
                            env={**os.environ, "LANLAB_LANG": "en"})
    assert result.returncode == 0 and (submissions / "results.csv").is_file(), \
        f"`{grade}` grades the folder: {result.stderr[-1500:]}"
