"""Run Docker Compose, v1 (`docker-compose`) or v2 (`docker compose`), whichever is here.

Every call has a timeout: docker-compose 1.29 has been seen to hang while creating many
containers, with no progress and no load (see docs/design.md). A call that trips the
timeout raises LabError with a line that says what to do.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from lanlab.control.errors import LabError

ROOT = Path(__file__).resolve().parents[2]


@lru_cache(maxsize=1)
def compose_command() -> tuple[str, ...]:
    """('docker', 'compose') when the v2 plugin answers, else ('docker-compose',)."""
    forced = os.environ.get("LANLAB_COMPOSE")
    if forced:
        return tuple(forced.split())
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
        if probe.returncode == 0:
            return ("docker", "compose")
    if shutil.which("docker-compose"):
        return ("docker-compose",)
    raise LabError("neither `docker compose` nor `docker-compose` is installed; install one (apt-get install docker-compose)")


def compose_version() -> str:
    result = subprocess.run([*compose_command(), "version", "--short"], capture_output=True, text=True)
    return (result.stdout or result.stderr).strip().splitlines()[0] if result.returncode == 0 else "unknown"


def is_v1() -> bool:
    return compose_command() == ("docker-compose",)


@dataclass
class Compose:
    project: str
    files: tuple[Path, ...] = (ROOT / "compose.yaml",)
    env: dict[str, str] = field(default_factory=dict)

    def argv(self, *args: str) -> list[str]:
        argv = [*compose_command()]
        for path in self.files:
            argv += ["-f", str(path)]
        return [*argv, "-p", self.project, *args]

    def run(self, *args: str, timeout: float = 300, capture: bool = False,
            check: bool = True) -> subprocess.CompletedProcess:
        # v1: build with the engine API, not the deprecated `docker build` CLI path.
        env = {"COMPOSE_DOCKER_CLI_BUILD": "0", **os.environ, **self.env}
        try:
            result = subprocess.run(self.argv(*args), cwd=ROOT, env=env, timeout=timeout,
                                    capture_output=capture, text=True)
        except subprocess.TimeoutExpired:
            raise LabError(
                f"`compose {' '.join(args)}` made no progress for {timeout:.0f} s; "
                "run `make down` and then `make up` again") from None
        if check and result.returncode != 0:
            detail = (result.stderr or "").strip().splitlines() if capture else []
            why = f": {detail[-1]}" if detail else ""
            raise LabError(f"`compose {' '.join(args)}` failed (exit {result.returncode}){why}")
        return result
