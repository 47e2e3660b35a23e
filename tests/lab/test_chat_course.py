"""The course's UDP sender, receiver and threaded chat (tests/course/, stand-ins), unchanged
but for the address, against lanlab's listener, `chat send` and `chat NAME`.

The course's receiver and chat bind UDP 9090 themselves, without SO_REUSEPORT, where lanlab's
listener already listens: on a lab host they run after `chat pause`, as a student would.
"""
from __future__ import annotations

import io
import re
import tarfile
import threading
import time
import uuid
from pathlib import Path

COURSE = Path(__file__).resolve().parents[1] / "course"
FOLDER = "/tmp/course-chat"


def address_of(node, name) -> str:
    out = node(name).ok("ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -1")
    return out.strip()


def token(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}"


def course_script(filename: str, variable: str, address: str | None) -> str:
    """The course's script with at most one line changed: the address. Asserted."""
    text = (COURSE / filename).read_text()
    if address is None:
        return text
    changed = re.sub(rf'^{variable} = ".*"$', f'{variable} = "{address}"', text, count=1, flags=re.M)
    differing = [old for old, new in zip(text.splitlines(), changed.splitlines()) if old != new]
    assert len(differing) <= 1 and all(line.startswith(variable) for line in differing), \
        "the course's scripts run unchanged but for the address"
    return changed


def copy_in(node, name: str, filename: str, text: str) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo(filename)
        info.size = len(text.encode())
        tar.addfile(info, io.BytesIO(text.encode()))
    node(name).ok(f"mkdir -p {FOLDER}")
    assert node(name).container.put_archive(FOLDER, buffer.getvalue()), f"cannot copy {filename} into {name}"


def in_background(call, *args):
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("result", call(*args)))
    thread.start()
    return thread, box


def wait_for_line(node, name: str, text: str, since: float, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in node(name).container.logs(since=int(since) - 1).decode(errors="replace").splitlines():
            if text in line:
                return line
        time.sleep(0.2)
    return ""


def test_course_udp_sender_reaches_the_listener(node):
    alice, bob = address_of(node, "alice"), address_of(node, "bob")
    copy_in(node, "alice", "udp_sender.py", course_script("udp_sender.py", "SERVER_IP", bob))
    since, first, second = time.time(), token("course-sender"), token("grüße")
    node("alice").ok(f"cd {FOLDER} && printf '{first}\\n{second}\\nexit\\n' | python3 udp_sender.py")
    line = wait_for_line(node, "bob", first, since)
    assert line and f"{alice} port" in line, f"bob's listener shows the course sender's message and address: {line!r}"
    assert wait_for_line(node, "bob", second, since), "UTF-8 text from the course's script is shown as text"


def test_chat_send_reaches_the_course_receiver(node):
    alice, carol = address_of(node, "alice"), address_of(node, "carol")
    copy_in(node, "carol", "udp_receiver.py", course_script("udp_receiver.py", "LISTEN_IP", None))
    text = token("to-the-course")
    node("carol").ok("chat pause 60")
    try:
        thread, box = in_background(node("carol").sh, f"cd {FOLDER} && timeout 12 python3 -u udp_receiver.py", 30)
        time.sleep(4)
        node("alice").ok(f"chat send {carol} {text}")
        thread.join()
        out = box["result"].out
    finally:
        node("carol").ok("chat resume")
    assert "receiver is ready" in out, f"the course's receiver binds UDP 9090 once the listener steps aside: {box['result']}"
    assert f"From ('{alice}', 9090) : {text}" in out, f"and prints our message, from alice's port 9090: {out!r}"
    since, back = time.time(), token("listener-back")
    node("alice").ok(f"chat send {carol} {back}")
    assert wait_for_line(node, "carol", back, since), "after `chat resume` carol's listener hears again"


def test_course_chat_talks_with_chat(node):
    alice, carol = address_of(node, "alice"), address_of(node, "carol")
    copy_in(node, "carol", "chat.py", course_script("chat.py", "PEER_IP", alice))
    from_alice, from_carol = token("from-alice"), token("from-carol")
    node("carol").ok("chat pause 60")
    try:
        course, course_box = in_background(
            node("carol").sh, f"cd {FOLDER} && (sleep 5; echo {from_carol}; sleep 5; echo exit) | python3 -u chat.py", 40)
        ours, ours_box = in_background(
            node("alice").sh, f"(sleep 4; echo {from_alice}; sleep 6; echo exit) | chat {carol}", 40)
        course.join()
        ours.join()
    finally:
        node("carol").ok("chat resume")
    course_out, ours_out = course_box["result"].out, ours_box["result"].out
    assert f"{alice} > {from_alice}" in course_out, \
        f"the course's chat receives what `chat {carol}` typed, from alice: {course_box['result']}"
    assert f"{carol}: {from_carol}" in ours_out, \
        f"`chat {carol}` receives and prints what the course's chat typed: {ours_box['result']}"
    assert ours_box["result"].ok, "`exit` ends `chat` cleanly"
