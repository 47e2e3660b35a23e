"""The base image, built locally: no container registry is needed.

One package list (base/packages.txt) serves two paths:

  offline (default)  mmdebstrap bootstraps a Debian bookworm root filesystem from the
                     machine's own apt sources (no mirror is named anywhere) and
                     `docker import` turns it into an image;
  debian             `docker build` from debian:bookworm-slim (base/Dockerfile.debian),
                     for machines that can pull from a registry (LANLAB_BASE_FROM=debian).

The image is tagged with a hash of the package list and of the build recipe, so it is
rebuilt only when one of them changes; `lanlab-base:latest` points at the current one.

A second flavour, `lanlab-bench`, adds base/bench-packages.txt (the peers the benchmarks
compare with: Kea, perfdhcp, dnsmasq, dnsperf). Only `make bench` builds it.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from lanlab import exits
from lanlab.control.compose import ROOT
from lanlab.control.errors import LabError, say

BASE_DIR = ROOT / "base"
LOGS = ROOT / "build" / "logs"
SHOWN_LINES = 30
# dpkg without an fsync per file: the root filesystem is a tarball for `docker import`.
MMDEBSTRAP_OPTIONS = ["--quiet", "--variant=minbase", "--dpkgopt=force-unsafe-io"]
FLAVOURS = {"base": ("lanlab-base", ("packages.txt",)),
            "bench": ("lanlab-bench", ("packages.txt", "bench-packages.txt"))}
IMAGE_ENV = [
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG=C.UTF-8",
    "PYTHONUNBUFFERED=1",
    "PYTHONDONTWRITEBYTECODE=1",
    # A host's one process runs without site (python3 -S): this names where lanlab is.
    "PYTHONPATH=/usr/local/lib/python3.11/dist-packages",
]


def image() -> str:
    """The base image the lab image is built on and capture containers run:
    LANLAB_BASE_IMAGE, else lanlab-base:latest."""
    return os.environ.get("LANLAB_BASE_IMAGE") or f"{FLAVOURS['base'][0]}:latest"


def packages(flavour: str = "base") -> list[str]:
    names: list[str] = []
    for filename in FLAVOURS[flavour][1]:
        for line in (BASE_DIR / filename).read_text().splitlines():
            name = line.split("#")[0].strip()
            if name and name not in names:
                names.append(name)
    return names


def recipe_hash(method: str, flavour: str = "base") -> str:
    digest = hashlib.sha256()
    digest.update(method.encode())
    digest.update(" ".join(MMDEBSTRAP_OPTIONS).encode())
    digest.update("\n".join(packages(flavour)).encode())
    digest.update("\n".join(IMAGE_ENV).encode())
    if method == "debian":
        digest.update((BASE_DIR / "Dockerfile.debian").read_bytes())
    return digest.hexdigest()[:12]


def image_id(tag: str) -> str | None:
    """The image's id, or None. The `docker` CLI (about 10 ms), not the Python client: this
    module runs with the standard library alone (`make up` on a fresh machine builds the
    base with the system's python3 while the Python environment is being made)."""
    try:
        found = subprocess.run(["docker", "image", "inspect", "--format", "{{.Id}}", tag],
                               capture_output=True, text=True, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise LabError("the docker command is missing: install Docker Engine, then `make up`") from None
    if found.returncode == 0:
        return found.stdout.strip()
    if "No such image" in found.stderr or "No such object" in found.stderr:
        return None
    raise LabError(f"cannot talk to the Docker engine ({found.stderr.strip()}); is it running?")


def ensure_base(method: str | None = None, flavour: str = "base") -> str:
    """Build the base (or bench) image if its recipe changed; return its tag."""
    method = method or os.environ.get("LANLAB_BASE_FROM", "offline")
    if method not in ("offline", "debian"):
        raise LabError(f"LANLAB_BASE_FROM={method!r}: use 'offline' (mmdebstrap) or 'debian' (registry)")
    repo = FLAVOURS[flavour][0]
    tag = f"{repo}:{recipe_hash(method, flavour)}"
    built = image_id(tag)
    if built is None:
        started = time.monotonic()
        say(f"building the {flavour} image {tag} ({method}); this takes about a minute, once")
        (build_offline if method == "offline" else build_debian)(tag, flavour)
        say(f"{flavour} image {tag} built in {time.monotonic() - started:.0f} s")
        built = image_id(tag)
    if image_id(f"{repo}:latest") != built:
        subprocess.run(["docker", "tag", tag, f"{repo}:latest"], check=True)
    return tag


def log_path(step: str) -> Path:
    """build/logs/STEP.log: where another tool's output goes while lanlab prints one line."""
    LOGS.mkdir(parents=True, exist_ok=True)
    return LOGS / f"{step}.log"


def failed(path: Path, what: str) -> LabError:
    """Show the end of a tool's log on stderr and make the one-line error for it."""
    lines = path.read_text(errors="replace").splitlines() if path.exists() else []
    name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    shown = "\n".join(lines[-SHOWN_LINES:])
    print(f"----- the last {min(len(lines), SHOWN_LINES)} lines of {name} -----\n{shown}", file=sys.stderr, flush=True)
    return LabError(f"{what}; the whole log is {name}")


def run_logged(argv: list[str], step: str, what: str, env: dict | None = None) -> None:
    """Run another tool with its output in build/logs/STEP.log, shown only if it fails."""
    path = log_path(step)
    with path.open("w") as log:
        code = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              env=env).returncode
    if code != 0:
        raise failed(path, f"{what} (exit {code})")


def build_offline(tag: str, flavour: str = "base") -> None:
    if shutil.which("mmdebstrap") is None:
        install_mmdebstrap()
    include = ",".join(packages(flavour))
    say(f"bootstrapping Debian bookworm with {len(packages(flavour))} packages from this machine's apt sources")
    changes = [arg for env in IMAGE_ENV for arg in ("--change", f"ENV {env}")]
    path = log_path(f"mmdebstrap-{flavour}")
    # mmdebstrap writes the tarball to stdout; docker import reads it: no temporary file.
    with path.open("w") as log:
        bootstrap = subprocess.Popen(["mmdebstrap", *MMDEBSTRAP_OPTIONS, f"--include={include}", "bookworm", "-"],
                                     stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
        imported = subprocess.run(["docker", "import", *changes, "--change", 'CMD ["/bin/bash"]', "-", tag],
                                  stdin=bootstrap.stdout, capture_output=True, text=True)
        bootstrap.stdout.close()
        code = bootstrap.wait()
    if code != 0:
        if imported.returncode == 0:
            subprocess.run(["docker", "rmi", tag], capture_output=True)  # no image from half a tarball
        raise failed(path, f"mmdebstrap failed (exit {code}); check that `apt-get update` works on this machine")
    if imported.returncode != 0:
        raise LabError(f"docker import failed: {imported.stderr.strip()}")


def install_mmdebstrap() -> None:
    if os.geteuid() != 0:
        raise LabError("mmdebstrap is missing: run `sudo apt-get install -y mmdebstrap` (or LANLAB_BASE_FROM=debian)")
    say(f"installing mmdebstrap (apt-get; its output goes to {log_path('apt').parent}/apt*.log)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run_logged(["apt-get", "update"], "apt", "apt-get update failed", env)
    run_logged(["apt-get", "install", "-y", "mmdebstrap"], "apt-install",
               "could not install mmdebstrap; run `apt-get install -y mmdebstrap` by hand", env)


def build_debian(tag: str, flavour: str = "base") -> None:
    argv = ["docker", "build", "-f", str(BASE_DIR / "Dockerfile.debian"),
            "--build-arg", f"PACKAGES={' '.join(packages(flavour))}", "-t", tag, str(BASE_DIR)]
    run_logged(argv, f"docker-build-{flavour}",
               "docker build of the Debian base failed; without a registry use LANLAB_BASE_FROM=offline")


def main(argv: list[str]) -> int:
    """`python3 -m lanlab.control.base [base|bench]`, quiet when the image is there already:
    the standard library is enough."""
    return exits.run(lambda: ensure_base(flavour=argv[0] if argv else "base") and 0,
                     LabError, "lanlab: error", "lanlab: stopped by Ctrl-C")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
