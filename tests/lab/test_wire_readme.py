"""The README's "Watching the wire" commands, run as written (their files put in a temporary
folder instead of /tmp and captures/), each checked for what the README says it shows."""
from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
from pathlib import Path

from lanlab.wire.capture import CAPTURE_LABEL

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Watching the wire\n+```sh\n(.*?)```", text, re.S).group(1)
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.startswith("make ")]


def placed(command: str, folder: Path) -> str:
    command = command.replace("/tmp/", f"{folder}/")
    return command + (f" OUT={folder / 'captures'}" if command.split()[1] in ("trace", "capture") else "")


def leftovers() -> list[str]:
    project = os.environ.get("LANLAB_PROJECT", "lanlab")
    return subprocess.run(["docker", "ps", "-aq", "--filter", f"label={CAPTURE_LABEL}={project}"],
                          capture_output=True, text=True).stdout.split()


def run(command: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(shlex.split(command), cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def open_ended(command: str) -> tuple[int, str]:
    """`make capture` with no SECONDS: wait for its first frame line, then Ctrl-C (the group)."""
    process = subprocess.Popen(shlex.split(command), cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    seen = []
    try:
        for line in process.stdout:
            seen.append(line)
            if " -> " in line and not line.startswith("lanlab:"):
                break
        os.killpg(process.pid, signal.SIGINT)
        seen.append(process.communicate(timeout=60)[0])
    finally:
        process.kill()
    return process.returncode, "".join(seen)


EXPECTED = {
    "fetch files:hello.txt'": ["SYN seq=0", "ttl 63", "exit status 0"],
    "DETAIL=3": ["frame 3:", "Ethernet", "IP"],
    "chat broadcast": ["chat \"hi all\"", "lan-a"],
    "SECONDS=5": ["lan-a:", "lan-b:", "dropped by the kernel"],
}


def test_readme_wire_commands(lab, tmp_path):
    commands = readme_commands()
    assert len(commands) == 6, f"the README's wire block as this test knows it: {commands}"
    for command in commands:
        where = placed(command, tmp_path)
        if where.split()[1] == "capture" and "SECONDS=" not in where:
            _, output = open_ended(where)      # make's own status after Ctrl-C is make's "Interrupt"
            assert "dropped by the kernel" in output and "error" not in output, f"`{command}` then Ctrl-C: {output}"
            assert not leftovers(), f"`{command}` then Ctrl-C leaves no capture container"
            continue
        result = run(where)
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"`{command}` failed: {output}"
        for key, wanted in EXPECTED.items():
            if key in command:
                for text in wanted:
                    assert text in output, f"`{command}` shows {text!r}: {output}"
    assert (tmp_path / "flow.svg").read_text().startswith("<svg"), "SVG= draws the picture"
