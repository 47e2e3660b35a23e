"""Skip `compose build` when the lab's images are already built from the same sources.

docker-compose 1.29 spends seconds on a build whose every layer is cached (it sends the
build context once per service, four times for the nodes image), and far longer on a busy
machine: too long for `make up` to pay every time. The images are rebuilt when anything
in the build context changed: a hash of every file Docker would be sent (.dockerignore
honoured), of the base image's id and of the tag, stored in build/images-TAG.sha256.
"""
from __future__ import annotations

import fnmatch
import hashlib
import os
import threading
from pathlib import Path

from lanlab.control import base
from lanlab.control.compose import ROOT
from lanlab.control.errors import LabError

# The one Compose service that builds each image: bob, carol and files run alice's image
# (lanlab/node), so compose is asked for alice alone and builds it once, not four times.
BUILDERS = {"router": "router", "dhcp": "dhcp", "dns": "dns", "node": "alice"}
IMAGES = tuple(BUILDERS)
# Built side by side: the node image (its own layers, with the 100 MiB file) beside the
# three service images, which are built one after another so that they share their
# common layers (our code, compiled) through the build cache.
BUILD_LINES = (("node",), ("router", "dhcp", "dns"))


def tag() -> str:
    return os.environ.get("LANLAB_TAG") or "latest"


def stamp_path() -> Path:
    return ROOT / "build" / f"images-{tag()}.sha256"


def ignored_patterns() -> list[str]:
    path = ROOT / ".dockerignore"
    lines = path.read_text().splitlines() if path.exists() else []
    return [line.strip().rstrip("/") for line in lines if line.strip() and not line.startswith("#")]


def ignored(relative: str, patterns: list[str]) -> bool:
    parts = relative.split("/")
    for pattern in patterns:
        bare = pattern.removeprefix("**/")
        if fnmatch.fnmatch(relative, pattern) or any(fnmatch.fnmatch(part, bare) for part in parts):
            return True
        if any(fnmatch.fnmatch("/".join(parts[:i]), pattern) for i in range(1, len(parts))):
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
    for path in context_files():
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def current_ids() -> list[str]:
    return [image_id(f"lanlab/{name}:{tag()}") for name in IMAGES]


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


def build(compose, timeout: float = 900) -> None:
    """`compose build` of every lab image: one call per line of BUILD_LINES, at once."""
    errors: list[LabError] = []

    def line(names: tuple[str, ...]) -> None:
        try:
            compose.run("build", "--quiet", *(BUILDERS[name] for name in names), timeout=timeout)
        except LabError as error:
            errors.append(error)

    threads = [threading.Thread(target=line, args=(names,)) for names in BUILD_LINES]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
