"""The course's download client (tests/course/, a stand-in), unchanged but for the server's
address, against lanlab's file server: the bare form."""
from __future__ import annotations

import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from course import address_of, tar_of  # noqa: E402

COURSE = Path(__file__).resolve().parents[1] / "course"
FOLDER = "/tmp/course-download"


def course_script(filename: str, variable: str, address: str) -> str:
    """The course's script with one line changed: the address. Asserted, not assumed."""
    text = (COURSE / filename).read_text()
    changed = re.sub(rf'^{variable} = ".*"$', f'{variable} = "{address}"', text, count=1, flags=re.M)
    differing = [old for old, new in zip(text.splitlines(), changed.splitlines()) if old != new]
    assert len(differing) <= 1 and all(line.startswith(variable) for line in differing), \
        "the course's scripts run unchanged but for the address"
    return changed


def copy_in(node, name: str, folder: str, filename: str, text: str) -> None:
    node(name).ok(f"rm -rf {folder} && mkdir -p {folder}")
    assert node(name).container.put_archive(folder, tar_of(filename, text)), f"cannot copy {filename} into {name}"


def test_course_download_client_gets_small_and_big_files(node):
    client = course_script("download_client.py", "SERVER_IP", address_of(node, "files"))
    copy_in(node, "alice", FOLDER, "download_client.py", client)
    # The client writes a file named as it asked. For big.bin that name is a FIFO read by
    # sha256sum: the script runs as it is, and 100 MB need not cross the container's
    # (FUSE) file system in 1 KiB writes.
    commands = {
        "hello.txt": "echo hello.txt | python3 download_client.py && sha256sum hello.txt",
        "big.bin": "mkfifo big.bin && (sha256sum < big.bin > big.sha & echo $! > big.pid) "
                   "&& echo big.bin | python3 download_client.py "
                   "&& while kill -0 $(cat big.pid) 2>/dev/null; do sleep 0.1; done; cat big.sha",
    }
    try:
        for name, command in commands.items():
            out = node("alice").ok(f"cd {FOLDER} && {command}", timeout=300)
            expected = node("files").ok(f"sha256sum /srv/files/{name}").split()[0]
            assert expected in out, f"the course's client, reading until close, must get {name} intact: {out}"
    finally:
        node("alice").sh(f"rm -rf {FOLDER}")


def test_course_download_client_asking_for_a_missing_file_gets_a_close(node):
    client = course_script("download_client.py", "SERVER_IP", address_of(node, "files"))
    copy_in(node, "alice", FOLDER, "download_client.py", client)
    since = time.time()
    try:
        out = node("alice").ok(f"cd {FOLDER} && echo nope.txt | python3 download_client.py")
    finally:
        node("alice").sh(f"rm -rf {FOLDER}")
    assert "Received 0 bytes" in out, f"a bare client gets no bytes for a missing file, just the close: {out}"
    log = node("files").container.logs(since=int(since) - 1).decode(errors="replace")
    assert "bare request 'nope.txt' refused (404" in log, f"and the server logs one line saying why: {log[-500:]}"
