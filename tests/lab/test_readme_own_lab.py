"""The README's "Your own lab" commands, run as a user would type them, in order."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from lanlab.control.lab import Lab

ROOT = Path(__file__).resolve().parents[2]


def own_lab_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Your own lab", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_readme_own_lab_commands_work():
    commands = own_lab_commands()
    assert commands[0].startswith("make up LAB=") and commands[-1].startswith("make down LAB="), \
        "the section starts a lab file's lab and removes it"
    lab = Lab.from_labfile(str(ROOT / commands[0].split("LAB=")[1]))
    lab.down()
    try:
        for command in commands:
            result = subprocess.run(command, shell=True, cwd=ROOT, capture_output=True, text=True,
                                    timeout=600, env=os.environ)
            assert result.returncode == 0, \
                f"README command `{command}` must work as written\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
            if command == "make status":
                assert "pc1" in result.stdout and "172.25.30.1" in result.stdout, \
                    f"make status must show the lab file's lab without being told which\n{result.stdout}"
        assert not lab.containers(), "make down LAB=... must leave none of the lab's containers"
    finally:
        lab.down()
