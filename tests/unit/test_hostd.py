"""lanlab.hostd: what a lab host becomes once booted. No Docker needed."""
import os
import subprocess
import sys
import time

import pytest

from lanlab import hostd

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEAVY = ("ipaddress", "subprocess", "pathlib", "dataclasses", "json", "typing", "argparse")


def test_the_exec_command_line_parses_back():
    argv = hostd.exec_argv(123.25, 42, ["busybox", "udhcpc", "-f", "-x", "hostname:alice"])
    assert argv[1:4] == ["-S", "-m", "lanlab.hostd"], "a lean interpreter: no site, the module by name"
    assert hostd.parse(argv[4:]) == (123.25, 42, ["busybox", "udhcpc", "-f", "-x", "hostname:alice"]), \
        "the boot's start time, udhcpc's pid and its exact argv must survive the exec"


@pytest.mark.parametrize("argv", [[], ["1.0"], ["1.0", "--", "7"], ["1.0", "7", "busybox"], ["x", "--", "7", "a"]])
def test_a_bad_command_line_is_one_clear_error(argv, capsys):
    assert hostd.main(argv) == 2, "a wrong invocation exits non-zero instead of starting half a host"
    assert "usage: python3 -S -m lanlab.hostd" in capsys.readouterr().err, "the error says how to call it"


def test_the_lean_interpreter_finds_lanlab_without_site():
    env = hostd.exec_env({"PATH": os.environ.get("PATH", "")})
    assert env["PYTHONPATH"].split(os.pathsep)[0] == ROOT, "without site, PYTHONPATH is how -S finds lanlab"


def test_an_idle_host_imports_nothing_heavy():
    """Every host of a 200-host lab runs this process: each module here costs 200 times.
    The boot (ipaddress, subprocess, json) is left behind by the exec."""
    code = "import sys, lanlab.hostd, lanlab.chat.listener; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-S", "-c", code], env=hostd.exec_env(), capture_output=True,
                         text=True, check=True).stdout.split()
    loaded = [name for name in HEAVY if name in out]
    assert loaded == [], f"an idle host must not import {loaded}: they cost every host memory"


def test_udhcpc_is_started_again_when_it_exits(tmp_path):
    """The host keeps its lease only while udhcpc runs: if it dies, it must come back."""
    marker = tmp_path / "runs"
    script = tmp_path / "fake-udhcpc"
    script.write_text(f"#!/bin/sh\necho run >> {marker}\nexit 3\n")
    script.chmod(0o755)
    code = ("import os; from lanlab import hostd\n"
            f"pid = os.posix_spawnp({str(script)!r}, [{str(script)!r}], os.environ)\n"
            f"try:\n    hostd.keep_running(pid, [{str(script)!r}], pause=0.05)\nexcept KeyboardInterrupt:\n    pass\n")
    proc = subprocess.Popen([sys.executable, "-c", code], env=hostd.exec_env(), stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (not marker.exists() or len(marker.read_text().split()) < 3):
        time.sleep(0.05)
    proc.kill()
    err = proc.communicate()[1]
    assert len(marker.read_text().split()) >= 3, "udhcpc was not started again after it exited"
    assert "udhcpc exited (3); starting it again" in err, "each restart says why in the container's log"
