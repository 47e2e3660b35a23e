"""The course's scripts (tests/course/, stand-ins) as the lab tests run them: unchanged
but for the one line that names an address, copied into a node."""
from __future__ import annotations

import io
import re
import tarfile
from pathlib import Path

COURSE = Path(__file__).resolve().parents[1] / "course"


def address_of(node, name) -> str:
    """The node's first global IPv4 address: where a course script is pointed."""
    out = node(name).ok("ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -1")
    return out.strip()


def script(filename: str, variable: str, address: str) -> tuple[str, list[str]]:
    """The script with `variable = "address"`, and its lines (to find a call's line number).
    Asserted: no other line changes."""
    text = (COURSE / filename).read_text()
    changed = re.sub(rf'^{variable} = ".*"$', f'{variable} = "{address}"', text, count=1, flags=re.M)
    differing = [old for old, new in zip(text.splitlines(), changed.splitlines()) if old != new]
    # In the default lab the script's own address may already be the right one.
    assert len(differing) <= 1 and all(old.startswith(variable) for old in differing), \
        f"the course's {filename} runs unchanged but for the address"
    return changed, changed.splitlines()


def line_of(lines: list[str], text: str) -> int:
    """The 1-based number of the only line containing `text`."""
    found = [number for number, line in enumerate(lines, 1) if text in line]
    assert len(found) == 1, f"the script has one line with {text!r}"
    return found[0]


def tar_of(path: str, text: str) -> bytes:
    """A tar archive of one file, `path`, holding `text` (what put_archive takes)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo(path)
        info.size = len(text.encode())
        tar.addfile(info, io.BytesIO(text.encode()))
    return buffer.getvalue()


def put(container, folder: str, filename: str, text: str) -> None:
    assert container.put_archive("/", tar_of(f"{folder.strip('/')}/{filename}", text)), \
        f"cannot copy {filename} into {container.name}"
