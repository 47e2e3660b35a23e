"""The course's UDP sender, receiver and threaded chat (tests/course/, stand-ins), unchanged
but for the address, against lanlab's listener, `chat send` and `chat NAME`.

The course's receiver and chat bind UDP 9090 themselves, without SO_REUSEPORT, where lanlab's
listener already listens: on a lab host they run after `chat pause`, as a student would.
"""
from __future__ import annotations

import re
import sys
import time
import uuid
from pathlib import Path

from lanlab.control.probe import Background, wait_for_log

sys.path.insert(0, str(Path(__file__).parent))
from course import address_of, tar_of  # noqa: E402

COURSE = Path(__file__).resolve().parents[1] / "course"
FOLDER = "/tmp/course-chat"


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
    node(name).ok(f"mkdir -p {FOLDER}")
    assert node(name).container.put_archive(FOLDER, tar_of(filename, text)), f"cannot copy {filename} into {name}"


def wait_for_line(node, name: str, text: str, since: float, timeout: float = 10) -> str:
    return wait_for_log(node(name).container, text, since, timeout)


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
        with Background(node("carol"), f"cd {FOLDER} && python3 -u udp_receiver.py") as receiver:
            ready = receiver.wait_for("receiver is ready")
            node("alice").ok(f"chat send {carol} {text}")
            heard = receiver.wait_for(text)
            out = receiver.output()
    finally:
        node("carol").ok("chat resume")
    assert ready, f"the course's receiver binds UDP 9090 once the listener steps aside: {out}"
    assert heard and f"From ('{alice}', 9090) : {text}" in out, f"and prints our message, from alice's port 9090: {out!r}"
    since, back = time.time(), token("listener-back")
    node("alice").ok(f"chat send {carol} {back}")
    assert wait_for_line(node, "carol", back, since), "after `chat resume` carol's listener hears again"


def test_course_chat_talks_with_chat(node):
    alice, carol = address_of(node, "alice"), address_of(node, "carol")
    copy_in(node, "carol", "chat.py", course_script("chat.py", "PEER_IP", alice))
    from_alice, from_carol = token("from-alice"), token("from-carol")
    node("carol").ok("chat pause 60")
    try:
        with Background(node("carol"), f"cd {FOLDER} && python3 -u chat.py", typed=True) as course, \
                Background(node("alice"), f"chat {carol}", typed=True) as ours:
            assert course.wait_for("Chatting with"), f"the course's chat must start: {course.output()}"
            assert ours.wait_for("type `exit` to end"), f"`chat {carol}` must start: {ours.output()}"
            ours.type(from_alice)
            course.wait_for(from_alice)
            course.type(from_carol)
            ours.wait_for(from_carol)
            ours.type("exit")
            course.type("exit")
            ours_status, course_status = ours.status(), course.status()
            course_out, ours_out = course.output(), ours.output()
    finally:
        node("carol").ok("chat resume")
    assert f"{alice} > {from_alice}" in course_out, \
        f"the course's chat receives what `chat {carol}` typed, from alice: {course_out}"
    assert f"{carol}: {from_carol}" in ours_out, \
        f"`chat {carol}` receives and prints what the course's chat typed: {ours_out}"
    assert ours_status == 0, f"`exit` ends `chat` cleanly: {ours_out}"
    assert course_status == 0, f"and `exit` ends the course's chat: {course_out}"
