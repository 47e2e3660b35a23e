"""The lab control's pure parts: readiness from Docker's listing and logs, the host's
routes, the image stamp's ignore rules, and the command line (no Docker needed)."""
import io
import ipaddress
import os
import time
from contextlib import redirect_stderr

import pytest

from lanlab.host import ready
from lanlab.host import ready
from lanlab.control import __main__ as cli
from lanlab.control import images, watch
from lanlab.control.errors import LabError
from lanlab.control.routes import parse_proc_routes


class FakeApi:
    """Answers the three Docker API calls a Watch makes, and counts the log reads."""

    def __init__(self, entries, logs):
        self.entries, self.logs_by_id, self.log_reads = entries, logs, 0

    def containers(self, all, filters):
        assert filters == {"label": "com.docker.compose.project=p"}, "only this project's containers"
        return self.entries

    def networks(self, filters):
        return [{"Id": "n1"}, {"Id": "n2"}]

    def inspect_container(self, cid):
        return {"State": {"StartedAt": "2026-01-02T03:04:05.123456789Z"}}

    def logs(self, cid, stdout, stderr, since, stream, follow):
        self.log_reads += 1
        assert since == 1767323045, "only the log since the container last started counts"
        assert stream and follow, "the log is followed as it is written, not read again each round"
        text = self.logs_by_id.get(cid, b"")
        return FakeStream(text[i:i + 5] for i in range(0, len(text), 5))  # lines arrive in pieces


class FakeStream:
    def __init__(self, chunks):
        self.chunks, self.closed = chunks, False

    def __iter__(self):
        return self.chunks

    def close(self):
        self.closed = True


def entry(cid, service, state="running", status="Up 1 second (health: starting)", networks=1):
    return {"Id": cid, "Labels": {"com.docker.compose.service": service}, "State": state,
            "Status": status, "NetworkSettings": {"Networks": {f"n{i}": {} for i in range(networks)}}}


def test_ready_from_the_log_line_before_any_healthcheck():
    api = FakeApi([entry("a", "h1-1"), entry("b", "h1-2")], {"a": b"lanlab[h1-1]: ready in 0.40 s\n"})
    w = watch.Watch(api, "p")
    w.poll()
    w.changed(5)  # the follower thread wakes the waiter when it reads the line
    snap = w.poll()
    assert snap.ready == {"h1-1"}, "a host that logged ready is ready without waiting for Docker's healthcheck"
    assert not snap.all_ready and snap.total == 2 and snap.running == 2, "one host is still starting"


def test_a_ready_container_is_not_read_again():
    api = FakeApi([entry("a", "h1-1")], {"a": b"lanlab[h1-1]: ready in 0.40 s\n"})
    w = watch.Watch(api, "p")
    w.poll()
    w.changed(5)
    w.poll(), w.poll()
    assert api.log_reads == 1, "one follower per container, not one log read per container every round"


def test_health_overrides_and_exits_are_broken():
    api = FakeApi([entry("a", "router", status="Up 9 seconds (healthy)"),
                   entry("b", "h1-1", status="Up 9 seconds (unhealthy)"),
                   entry("c", "h1-2", state="exited", status="Exited (1) 2 seconds ago")],
                  {"b": b"lanlab[h1-1]: ready in 0.40 s\n"})
    snap = watch.Watch(api, "p").poll()
    assert snap.ready == {"router"}, "healthy counts as ready; unhealthy never does, whatever the log said"
    assert snap.broken == ("h1-2",), "an exited container must fail `up` at once, with its logs"


def test_progress_counts_networks_made_and_joined():
    api = FakeApi([entry("r", "router", status="Created", state="created", networks=7)], {})
    assert watch.Watch(api, "p").poll().networks == 7 + 2, \
        "making 100 networks, or a router joining them, is progress, not a hang"


def test_the_ready_line_is_what_mark_ready_writes(tmp_path, monkeypatch):
    monkeypatch.setattr(ready, "READY", str(tmp_path / "ready"))
    monkeypatch.setenv("LANLAB_NODE", "h1-1")
    err = io.StringIO()
    with redirect_stderr(err):
        ready.mark_ready(time.monotonic())
    assert watch.log_says_ready(err.getvalue().encode()), \
        "readiness is read from the line ready.mark_ready logs; the two must agree"


def test_health_words():
    assert watch.health_of("Up 2 minutes (healthy)") == "healthy", "Docker's listing says health in words"
    assert watch.health_of("Up 2 seconds (health: starting)") == "starting", "not checked yet"
    assert watch.health_of("Up 2 seconds") is None, "no healthcheck at all"


def test_proc_routes_are_decoded():
    text = ("Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
            "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
            "docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n"
            "br-1\t0000640A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n")
    assert parse_proc_routes(text) == [ipaddress.ip_network(n) for n in
                                       ("0.0.0.0/0", "172.17.0.0/16", "10.100.0.0/24")], \
        "the route check is only as good as this decoding (little-endian hex)"


@pytest.mark.parametrize("path,ignored", [
    ("lanlab/host/node.py", False), ("nodes/bin/ipcalc", False), (".venv/bin/python", True),
    ("tests/unit/test_x.py", True), ("lanlab/__pycache__/x.pyc", True), ("build/x/compose.yaml", True),
    ("lanlab.egg-info/PKG-INFO", True), ("lanlab/lessons/check.py", False), ("lessons/solutions/x.py", True),
])
def test_image_stamp_follows_dockerignore(path, ignored):
    patterns = [".git", ".venv", "build", "bench", "docs", "tests", "lessons", "**/__pycache__", "*.egg-info"]
    assert images.ignored(path, patterns) is ignored, \
        "a change Docker would copy into an image must trigger a rebuild, nothing else should"


def test_options_are_split_from_the_command():
    assert cli.parse(["up", "--subnets", "10", "--hosts", "", "--base", "10.120"]) == \
        (["up"], {"subnets": "10", "base": "10.120"}), "make passes empty values for unset variables"


@pytest.mark.parametrize("options,fragment", [
    ({"subnets": "3"}, "give both"), ({"subnets": "x", "hosts": "2"}, "whole numbers"),
    ({"subnets": "3", "hosts": "200"}, "HOSTS=200"),
])
def test_bad_lab_options_are_one_line(options, fragment, monkeypatch):
    monkeypatch.delenv("LANLAB_BASE", raising=False)
    with pytest.raises(LabError) as error:
        cli.choose_lab("up", options)
    assert fragment in str(error.value) and "\n" not in str(error.value), \
        f"bad make variables get one clear line: {error.value}"


def test_generated_lab_names_its_project_and_directory(monkeypatch):
    monkeypatch.setenv("LANLAB_PROJECT", "p")
    monkeypatch.delenv("LANLAB_BASE", raising=False)
    lab = cli.choose_lab("up", {"subnets": "3", "hosts": "2"})
    assert lab.project == "p-3x2" and lab.directory.name == "p-3x2", \
        "a generated lab must never share a project with the default lab"
    assert lab.files == (lab.directory / "compose.yaml",) and lab.env == {"LANLAB_SVC": "10.100.0"}, \
        "compose must read the generated file, with compose.yaml's variables pointing at its subnets"
    assert os.path.basename(lab.directory.parent) == "build", "generated files live under build/"


def test_ready_from_the_shared_directory_without_reading_logs(tmp_path):
    (tmp_path / "h1-1").write_text("0.40\n")
    api = FakeApi([entry("a", "h1-1"), entry("b", "h1-2")], {"b": b"lanlab[h1-2]: ready in 0.40 s\n"})
    snap = watch.Watch(api, "p", ready_dir=tmp_path).poll()
    assert snap.ready == {"h1-1"}, "in a generated lab the shared directory alone says who is ready"
    assert api.log_reads == 0, "200 hosts must not cost a log read each while starting"


def test_mark_ready_leaves_and_clear_ready_removes_the_shared_marker(tmp_path, monkeypatch):
    monkeypatch.setattr(ready, "READY", str(tmp_path / "own" / "ready"))
    monkeypatch.setenv("LANLAB_READY_DIR", str(tmp_path))
    monkeypatch.setenv("LANLAB_NODE", "h2-3")
    with redirect_stderr(io.StringIO()):
        ready.mark_ready(time.monotonic())
    assert (tmp_path / "h2-3").exists(), "the lab control learns that h2-3 is ready from this file"
    ready.clear_ready()
    assert not (tmp_path / "h2-3").exists(), "a restarted container is not ready until it says so again"




# --- labs from lab files ------------------------------------------------------------------

def test_lab_file_lab_is_named_after_the_file_and_default_is_compose_yaml(monkeypatch, tmp_path):
    from pathlib import Path
    from lanlab.control.lab import Lab
    root = Path(__file__).resolve().parents[2]
    monkeypatch.setenv("LANLAB_PROJECT", "la")
    chain = cli.choose_lab("up", {"lab": str(root / "tests" / "labs" / "chain.yaml")})
    assert chain.project == "la-chain" and chain.expected() == 7, \
        "a lab file's lab is project LANLAB_PROJECT-<name>, with one container per router, server and host"
    default = cli.choose_lab("up", {"lab": str(root / "labs" / "default.yaml")})
    assert default.files == Lab.from_env().files and default.project == "la", \
        "labs/default.yaml starts compose.yaml's lab, the default one"
    with pytest.raises(LabError) as error:
        cli.choose_lab("up", {"lab": "x.yaml", "subnets": "2", "hosts": "2"})
    assert "either" in str(error.value), "a lab file and SUBNETS/HOSTS do not mix"


def test_a_bad_lab_file_is_one_error_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nnetworks:\n  a: {subnet: 10.25.0.0/24, gatway: r1}\n")
    stderr = io.StringIO()
    with redirect_stderr(stderr):
        code = cli.main(["up", "--lab", str(bad)])
    lines = stderr.getvalue().strip().splitlines()
    assert code == 1 and len(lines) == 1 and lines[0].startswith(f"lanlab: error: {bad}:3:"), \
        f"a bad lab file stops `make up` with one line naming file and line: {lines}"


def test_a_lab_file_lab_is_found_again_from_its_directory(tmp_path):
    """`make down`, `make status` with no LAB find a running lab file's lab by build/<project>."""
    import json
    from pathlib import Path
    from lanlab.control import generate, labfile
    from lanlab.control.lab import Lab
    path = Path(__file__).resolve().parents[2] / "tests" / "labs" / "wire.yaml"
    generate.write_labfile(labfile.load(path), path.read_text(), tmp_path)
    (tmp_path / "lab.json").write_text(json.dumps({"project": "la-wire", "parent": "la", "env": {}}))
    again = Lab.recorded(tmp_path)
    assert again.project == "la-wire" and again.labfile.name == "wire" and again.expected() == 3, \
        "the recorded lab file gives back the lab, its project and its size"


def test_an_edited_copy_of_the_default_lab_file_is_its_own_lab(monkeypatch, tmp_path):
    from pathlib import Path
    monkeypatch.setenv("LANLAB_PROJECT", "la")
    copy = tmp_path / "mine.yaml"
    copy.write_text((Path(__file__).resolve().parents[2] / "labs" / "default.yaml").read_text())
    lab = cli.choose_lab("up", {"lab": str(copy)})
    assert lab.project == "la-default" and lab.labfile is not None, \
        "a user's edits to a copy must be what starts, not compose.yaml"


def test_status_acts_on_the_lab_started_last(monkeypatch, tmp_path):
    """With the default lab and a lab file's lab both running, `make status` shows the one
    `make up` started last (the README's "Your own lab" relies on it)."""
    from lanlab.control import generate, lab as labmod
    monkeypatch.setenv("LANLAB_PROJECT", "la")
    monkeypatch.setattr(generate, "BUILD", tmp_path)

    class Running(labmod.Lab):
        def containers(self, all=True):
            return ["one"]

    monkeypatch.setattr(cli, "Lab", Running)
    mine = Running("la-wire", ())
    monkeypatch.setattr(cli, "generated_labs", lambda: [mine])
    assert cli.running_lab().project == "la", "with nothing remembered, the default lab"
    labmod.remember_last("la-wire")
    assert cli.running_lab() is mine, "the lab started last, when it runs"
