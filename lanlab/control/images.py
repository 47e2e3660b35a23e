"""Build the lab's one image (Dockerfile: every container runs it, in its role), and skip
the build when it is already built from the same sources.

A build whose every layer is cached still costs seconds (the context is sent, each step
checked), too long for `make up` to pay every time. The image is rebuilt when anything it
is built from changed: a hash of the Dockerfile, of every file Docker would be sent
(.dockerignore honoured), of the base image's id and of the tag, stored in
build/images-TAG.sha256.
"""
from __future__ import annotations

import contextlib
import fcntl
import fnmatch
import hashlib
import os
from pathlib import Path

from lanlab import contracts
from lanlab.control import base
from lanlab.control.compose import ROOT


def tag() -> str:
    return os.environ.get("LANLAB_TAG") or "latest"


def stamp_path() -> Path:
    return ROOT / "build" / f"images-{tag()}.sha256"


def ignored_patterns() -> list[str]:
    path = ROOT / ".dockerignore"
    lines = path.read_text().splitlines() if path.exists() else []
    return [line.strip().rstrip("/") for line in lines if line.strip() and not line.startswith("#")]


def ignored(relative: str, patterns: list[str]) -> bool:
    """Docker's rule: a pattern matches from the context's root (`**/` first: at any depth)
    and leaves out what it matches and everything below it."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    for pattern in patterns:
        if pattern.startswith("**/"):
            if any(fnmatch.fnmatch(part, pattern[3:]) for part in parts):
                return True
        elif any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes):
            return True
    return False


def context_files() -> list[Path]:
    patterns = ignored_patterns()
    files = []
    for directory, dirs, names in os.walk(ROOT):
        rel_dir = os.path.relpath(directory, ROOT)
        dirs[:] = sorted(d for d in dirs
                         if not ignored(os.path.normpath(os.path.join(rel_dir, d)), patterns))
        for name in sorted(names):
            relative = os.path.normpath(os.path.join(rel_dir, name))
            if not ignored(relative, patterns):
                files.append(ROOT / relative)
    return files


def image_id(name: str) -> str:
    return base.image_id(name) or ""


def sources_hash() -> str:
    digest = hashlib.sha256()
    digest.update(f"tag {tag()}\nbase {image_id('lanlab-base:latest')}\n".encode())
    for path in [ROOT / "Dockerfile", *context_files()]:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def name() -> str:
    return f"{contracts.IMAGE}:{tag()}"


def current_ids() -> list[str]:
    return [image_id(name())]


def stamp(ids: list[str]) -> str:
    return f"{sources_hash()} {' '.join(ids)}\n"


def up_to_date() -> bool:
    """True when every lab image exists and was built from the sources as they are now."""
    path = stamp_path()
    ids = current_ids()
    return path.exists() and all(ids) and path.read_text() == stamp(ids)


def record() -> None:
    path = stamp_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(stamp(current_ids()))


def build() -> None:
    """`docker build` of the lab image, its output in build/logs/image.log (shown if it fails)."""
    base.run_logged(["docker", "build", "--build-arg", f"BASE_IMAGE={base.image()}", "-t", name(), str(ROOT)],
                    "image", "the lab image's build failed")


@contextlib.contextmanager
def building():
    """Held while the base and the lab image are checked and built: one process at a time
    (build/images.lock), the others wait and then find them built."""
    path = ROOT / "build" / "images.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
