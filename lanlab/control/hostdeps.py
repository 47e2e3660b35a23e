"""Debian packages this machine (not the lab's containers) needs for the web view and
its browser tests: xterm.js (libjs-xterm with node-xterm, whose modules the view serves)
and Chromium with its WebDriver. `make view-deps` installs the missing ones with apt-get;
.ci/run installs the same list (VIEW_PACKAGES below is the one list).
"""
from __future__ import annotations

import os
import subprocess

from lanlab.control.errors import LabError, say

VIEW_PACKAGES = ("libjs-xterm", "node-xterm", "chromium", "chromium-driver")


def missing(packages: tuple[str, ...] = VIEW_PACKAGES) -> list[str]:
    result = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${db:Status-Status}\n", *packages],
                            capture_output=True, text=True)
    installed = {line.split()[0] for line in result.stdout.splitlines() if line.endswith(" installed")}
    return [p for p in packages if p not in installed]


def install() -> None:
    wanted = missing()
    if not wanted:
        say(f"host packages for the view are installed: {' '.join(VIEW_PACKAGES)}")
        return
    if os.geteuid() != 0:
        raise LabError(f"missing Debian packages {' '.join(wanted)}; run as root: apt-get install {' '.join(wanted)}")
    say(f"installing {' '.join(wanted)} from Debian's packages (apt-get)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *wanted]):
        result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=1200)
        if result.returncode != 0:
            lines = (result.stderr or result.stdout).strip().splitlines() or ["no output"]
            raise LabError(f"`{' '.join(argv[:2])}` failed: {lines[-1]}")
    say(f"installed {' '.join(wanted)}")


if __name__ == "__main__":
    install()
