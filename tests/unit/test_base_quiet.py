"""`make up` on a fresh machine prints lanlab's own lines only: apt's, dpkg's and
mmdebstrap's output goes to build/logs/, and is shown (its end) only when the step fails.

The tools are stand-ins on PATH that print like the real ones; no package is installed."""
import os
import stat

import pytest

from lanlab.control import base
from lanlab.control.errors import LabError

NOISE = "Selecting previously unselected package frr.\nSetting up frr (8.4.4-1.1~deb12u1) ..."


def tool(folder, name: str, script: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.fixture
def tools(tmp_path, monkeypatch):
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", f"{folder}:{os.environ['PATH']}")
    monkeypatch.setattr(base, "LOGS", tmp_path / "logs")
    return folder


def test_a_step_that_works_prints_nothing_of_its_own(tools, capfd, monkeypatch):
    tool(tools, "apt-get", f"printf '{NOISE}\\n'; printf 'W: some warning\\n' >&2\n")
    tool(tools, "mmdebstrap", f"printf '{NOISE}\\n' >&2; printf 'a tarball'\n")
    tool(tools, "docker", "cat > /dev/null; echo sha256:0123\n")
    monkeypatch.setattr(base.os, "geteuid", lambda: 0)
    base.install_mmdebstrap()
    base.build_offline("lanlab-test:quiet")
    out, err = capfd.readouterr()
    lines = [line for line in (out + err).splitlines() if line]
    assert lines and all(line.startswith("lanlab: ") for line in lines), \
        f"only lanlab's own progress lines reach the terminal, not apt's or dpkg's: {lines}"
    assert "Setting up frr" in (base.LOGS / "mmdebstrap-base.log").read_text(), \
        "what mmdebstrap printed is kept in its log"
    assert "W: some warning" in (base.LOGS / "apt.log").read_text(), "and what apt-get printed in its own"


def test_a_step_that_fails_shows_the_end_of_its_log(tools, capfd):
    tool(tools, "mmdebstrap", f"printf '{NOISE}\\nE: Unable to locate package frr\\n' >&2; exit 1\n")
    tool(tools, "docker", "cat > /dev/null; exit 1\n")
    with pytest.raises(LabError) as error:
        base.build_offline("lanlab-test:broken")
    err = capfd.readouterr().err
    assert "E: Unable to locate package frr" in err, "a failed step shows what the tool said, from its log"
    assert "mmdebstrap failed" in str(error.value) and "mmdebstrap-base.log" in str(error.value) \
        and "\n" not in str(error.value), f"and the error is one line naming the log: {error.value}"


def test_a_failed_apt_get_names_its_log(tools, capfd):
    tool(tools, "apt-get", f"printf '{NOISE}\\n'; echo 'E: Could not get lock' >&2; exit 100\n")
    with pytest.raises(LabError) as error:
        base.run_logged(["apt-get", "update"], "apt", "apt-get update failed")
    assert "E: Could not get lock" in capfd.readouterr().err, "the reason apt gave is shown"
    assert "apt.log" in str(error.value) and "exit 100" in str(error.value), f"one line: {error.value}"
