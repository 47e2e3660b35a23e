"""The lessons' checks without Docker: the message tables, the language choice, a
check's line, the workspace copy, and the workspace mount in every kind of lab."""
from __future__ import annotations

import io
import re
import tarfile
from pathlib import Path

import yaml

from lanlab import topology
from lanlab.control import generate
from lanlab.lessons import LESSONS, available, module
from lanlab.lessons.check import format_line
from lanlab.lessons.messages import EN, ZH, Messages, language
from lanlab.lessons.runner import Result, archive

ROOT = Path(__file__).resolve().parents[2]


def test_both_languages_have_the_same_messages():
    assert set(EN) - set(ZH) == set(), f"every English message has a Chinese one: {set(EN) - set(ZH)}"
    assert set(ZH) - set(EN) == set(), f"and no Chinese message is left over: {set(ZH) - set(EN)}"
    for key in EN:
        names = set(re.findall(r"{(\w+)", EN[key]))
        assert names == set(re.findall(r"{(\w+)", ZH[key])), f"{key}: both say the same values"


def test_every_check_has_its_expectation_and_hint():
    for lesson in available():
        source = Path(module(lesson).__file__).read_text()
        names = set(re.findall(r'"([a-z]+(?:-[a-z]+)+)"', source))
        checks = {n for n in names if f"{lesson}.{n}.expected" in EN} | \
                 {n for n in re.findall(r's\.result\("([a-z-]+)"', source)}
        assert checks, f"{lesson} has checks"
        for name in checks:
            for part in ("expected", "hint"):
                assert f"{lesson}.{name}.{part}" in EN, f"{lesson}.{name}.{part} is in the tables"


def test_chinese_from_lang_or_lanlab_lang():
    assert language({"LANG": "zh_CN.UTF-8"}) == "zh", "LANG=zh_CN chooses Chinese"
    assert language({"LANG": "zh_CN.UTF-8", "LANLAB_LANG": "en"}) == "en", "LANLAB_LANG wins"
    assert language({"LANLAB_LANG": "zh"}) == "zh", "LANLAB_LANG=zh chooses Chinese"
    assert language({"LANG": "C.UTF-8"}) == "en", "anything else is English"


def test_a_missing_value_reads_as_a_question_mark_not_a_crash():
    assert "?" in Messages("en").text("udp.receiver-text.expected"), "a message without its value still prints"


def test_a_failed_line_says_expected_seen_and_hint_on_one_line():
    result = Result("download", "client-big", False, "104857600 bytes", "got 1024 of 104857600 bytes", "loop")
    line = format_line(result, Messages("en"))
    assert "\n" not in line and line.startswith("FAIL download/client-big"), f"one line, verdict first: {line}"
    assert "seen: got 1024 of 104857600 bytes" in line and "hint: loop" in line, line
    passed = format_line(Result("udp", "x", True, "e", "s", "h"), Messages("zh"))
    assert passed.startswith("通过") and "提示" not in passed, f"a passed check has no hint: {passed}"


def test_the_workspace_copy_is_roots_and_read_only_without_hidden_files(tmp_path):
    (tmp_path / "udp").mkdir()
    (tmp_path / "udp" / "receiver.py").write_text("print(1)\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("x")
    (tmp_path / "udp" / "link").symlink_to("/etc/passwd")
    members = tarfile.open(fileobj=io.BytesIO(archive(tmp_path))).getmembers()
    names = {m.name: m for m in members}
    assert set(names) == {"udp", "udp/receiver.py"}, f"no hidden files, no links out: {set(names)}"
    assert names["udp/receiver.py"].uid == 0 and names["udp/receiver.py"].mode == 0o644, \
        "the copy is root's and the learner's program cannot change it"


def test_lessons_are_in_the_courses_order():
    assert LESSONS[:4] == ("network", "mask", "dhcp-dns-gateway", "ports"), "concepts come first"
    assert LESSONS.index("udp") < LESSONS.index("tcp") < LESSONS.index("download") < LESSONS.index("chat") \
        < LESSONS.index("locks") < LESSONS.index("queues") < LESSONS.index("processes"), "then the course's order"


def test_compose_yaml_mounts_the_workspace_where_generated_labs_do():
    text = (ROOT / "compose.yaml").read_text()
    anchor = re.search(r"^x-work: &work (\S+)$", text, re.M).group(1)
    assert anchor == generate.work_volume(ROOT), "one mount for both kinds of lab: work/ at /work"
    services = yaml.safe_load(text)["services"]
    for name, service in services.items():
        assert anchor in service["volumes"], f"{name} has the workspace"


def test_every_generated_container_mounts_the_workspace():
    plan = topology.generated_plan(2, 2, "10.123")
    directory = generate.BUILD / "unit-test-lessons"
    work = generate.work_volume(directory)
    assert work == "../../work:/work", "build/<project>/ reaches the root's work/"
    data = yaml.safe_load(generate.to_yaml(generate.render_compose(plan, {}, work=work)))
    assert work in data["services"]["router"]["volumes"], "the router has the workspace"
    assert work in data["x-host"]["volumes"], "every host has it (their common part)"
    hosts = [name for name, service in data["services"].items() if "extends" not in service and name != "router"]
    assert hosts and all(work in data["services"][name]["volumes"] for name in hosts), \
        "and no host overrides the common volumes"
    for name in ("dhcp", "dns"):
        assert data["services"][name]["extends"]["service"] == name, f"{name} gets it from compose.yaml"


def test_the_mask_lesson_has_the_right_figures_where_the_course_misprints_them():
    from lanlab.lessons.mask import truth
    a = truth(["10.20.30.40", "255.0.0.0"])
    assert a["hosts"] == "16777214" and a["class"] == "a", f"class A: 16,777,214 hosts, not 1677214: {a}"
    assert truth(["130.1.2.3", "255.255.0.0"])["class"] == "b", "class B has its own range, 128-191"
    assert truth(["200.1.2.3", "255.255.255.0"])["class"] == "c", "and class C 192-223"
    assert truth(["224.0.0.9", "255.255.255.255"])["class"] == "d", "D from 224"
    assert truth(["192.168.7.20", "255.255.255.0", "192.168.13.18"])["same network"] == "no", "/24: apart"
    assert truth(["192.168.7.20", "255.255.0.0", "192.168.13.18"])["same network"] == "yes", "/16: together"
    assert truth(["192.168.7.20", "255.255.255.128"])["broadcast"] == "192.168.7.127", "a /25"


def test_outputs_of_several_runs_in_one_start_are_told_apart():
    from lanlab.lessons.local import split
    out = "<<<0\nnetwork: 1\n>>>0 0\n<<<1\nTraceback\n>>>1 1\n<<<2\nhalf"
    parts = split(out, [["a"], ["b"], ["c"]])
    assert parts[("a",)] == (0, "network: 1") and parts[("b",)] == (1, "Traceback"), parts
    assert parts[("c",)] == (None, "half"), f"a run cut by the time limit has no status: {parts}"


def test_our_mask_solution_agrees_with_ipaddress(tmp_path):
    import subprocess
    import sys
    from lanlab.lessons.local import field
    from lanlab.lessons.mask import CASES, truth
    program = ROOT / "lessons" / "solutions" / "mask" / "subnet.py"
    for case in CASES:
        out = subprocess.run([sys.executable, str(program), *case], capture_output=True, text=True).stdout
        for key, value in truth(case).items():
            assert field(out, key) == value, f"{case}: {key} {field(out, key)} != {value}"


def test_the_learner_user_is_the_one_the_sandbox_runs_as():
    from lanlab.lessons import sandbox
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert f"useradd --uid {sandbox.UID} " in dockerfile and dockerfile.rstrip().count(sandbox.USER) >= 1, \
        "the Dockerfile makes the user the checks run programs as"
    argv = sandbox.argv(["python3", "x.py"])
    assert "--inh-caps=-all" in argv and "--bounding-set=-all,+net_raw" in argv, \
        "no capability for the learner's program, and none to regain (ping's NET_RAW aside)"
    assert argv[-2:] == ["python3", "x.py"], "the command runs as given"


def test_every_container_of_a_lab_file_mounts_the_workspace():
    from lanlab.control import labfile
    lab = labfile.load(ROOT / "labs" / "default.yaml")
    work = generate.work_volume(generate.BUILD / "unit-test-lessons")
    data = yaml.safe_load(generate.to_yaml(generate.render_lab(lab, {}, work)))
    for name, service in data["services"].items():
        assert work in service["volumes"], f"{name} of a lab file has the workspace: {service['volumes']}"
        assert service["sysctls"]["net.ipv4.ip_unprivileged_port_start"] == "1024", \
            f"{name}: ports below 1024 are root's"


def test_the_lessons_lab_files_read():
    from lanlab.control import labfile
    wire = labfile.load(ROOT / "labs" / "wire.yaml")
    assert not wire.routers and all(h.static for h in wire.hosts), "two PCs and a cable, nothing else"
    hubs = labfile.load(ROOT / "labs" / "hub-vs-switch.yaml")
    assert {n.name: n.kind for n in hubs.networks} == {"hub": "hub", "switch": "switch"}, "one of each"
    lossy = labfile.load(ROOT / "labs" / "lossy.yaml")
    assert lossy.link("lan-b").loss_percent == 20, "lan-b loses one frame in five"
    assert {h.name for h in lossy.hosts} == {"alice", "bob", "carol", "files"}, "the lessons' hosts"
