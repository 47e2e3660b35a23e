"""Socket calls recorded in the running lab (lanlab/wire/calls): the course's clients traced
in alice, the file server attached on files, strace's own count as the referee, and
programs that crash, hang or fork."""
from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from lanlab.control.errors import LabError
from lanlab.wire.calls import record

sys.path.insert(0, str(Path(__file__).parent))
import course  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FOLDER = "/tmp/course-calls"
SOCKET_ONLY = ("socket", "connect", "bind", "listen", "accept4", "sendto", "recvfrom", "shutdown")


@pytest.fixture
def folder(node):
    yield FOLDER
    node("alice").sh(f"rm -rf {FOLDER}")


def ours(recording, node_name: str, filename: str) -> list[dict]:
    return [c for c in recording.calls if c["node"] == node_name and c["file"]
            and c["file"].endswith(filename)]


def test_course_tcp_client_calls_are_named_with_their_lines(lab, node, folder):
    files = course.address_of(node, "files")
    text, lines = course.script("download_client.py", "SERVER_IP", files)
    course.put(node("alice").container, folder, "download_client.py", text)
    got = record.record_in_lab(lab, "alice", f"cd {folder} && echo hello.txt | python3 download_client.py")
    size = int(node("files").ok("stat -c %s /srv/files/hello.txt"))
    assert got.status == 0 and f"Received {size} bytes" in got.stdout, \
        f"the traced client runs as it would untraced: {got.status} {got.stdout} {got.stderr}"
    calls = ours(got, "alice", "download_client.py")
    names = [c["name"] for c in calls]
    assert names[:3] == ["socket", "connect", "send"] and names[-1] == "close" and "recv" in names, \
        f"the script's own calls, in its order: {names}"
    by_name = {c["name"]: c for c in calls}
    for name, code in (("socket", "socket(AF_INET"), ("connect", ".connect("),
                       ("send", ".send("), ("recv", ".recv(1024)"), ("close", ".close()")):
        assert by_name[name]["line"] == course.line_of(lines, code), \
            f"{name} is placed at the script's line that calls it"
    connect, send = by_name["connect"], by_name["send"]
    assert connect["args"]["address"] == f"{files}:9090" and connect["result"] == 0, \
        "connect names the server and succeeded"
    assert send["args"]["bytes"] == len("hello.txt") == send["result"], "send wrote the file name"
    recvs = [c for c in calls if c["name"] == "recv"]
    assert all(c["args"]["bufsize"] == 1024 for c in recvs) and sum(c["result"] for c in recvs) == size, \
        "the recv(1024) calls add up to the file, and the last one read 0: the close"
    assert recvs[-1]["result"] == 0, "the loop ends on a recv that returns 0 bytes"
    assert len({c["local"] for c in calls if c["name"] != "socket"}) == 1 and \
        connect["remote"] == f"{files}:9090", "every call acts on the one connection"


def test_unbound_udp_sender_run_twice_gets_two_source_ports(lab, node, folder):
    alice = course.address_of(node, "alice")
    text, lines = course.script("udp_sender.py", "SERVER_IP", alice)
    course.put(node("bob").container, folder, "udp_sender.py", text)
    try:
        runs = [record.record_in_lab(lab, "bob", f"cd {folder} && printf 'hi\\nexit\\n' | python3 udp_sender.py")
                for _ in range(2)]
    finally:
        node("bob").sh(f"rm -rf {folder}")
    sends = [[c for c in ours(run, "bob", "udp_sender.py") if c["name"] == "sendto"] for run in runs]
    assert [len(s) for s in sends] == [1, 1], f"one sendto row per run: {sends}"
    first, second = sends[0][0], sends[1][0]
    assert first["line"] == course.line_of(lines, ".sendto(") and first["args"]["address"] == f"{alice}:9090", \
        "the row is at the script's sendto line, to alice's chat port"
    ports = [s["local"].rsplit(":", 1)[1] for s in (first, second)]
    assert all(p.isdigit() and p != "0" for p in ports) and ports[0] != ports[1], \
        f"a socket sending without bind gets a new port from the kernel each run: {ports}"


def test_one_recv_reads_1024_bytes_of_what_the_server_sent(lab, node, folder):
    text, lines = course.script("download_one_recv.py", "SERVER_IP", course.address_of(node, "files"))
    course.put(node("alice").container, folder, "download_one_recv.py", text)
    got = record.record_in_lab(lab, "alice", f"cd {folder} && echo big.bin | python3 download_one_recv.py",
                               server="files:9090")
    recv = [c for c in ours(got, "alice", "download_one_recv.py") if c["name"] == "recv"]
    assert len(recv) == 1 and recv[0]["args"]["bufsize"] == 1024 and recv[0]["result"] == 1024, \
        f"one recv(1024) reads 1024 bytes, not the file: {recv}"
    sent = sum(c["result"] or 0 for c in got.calls if c["node"] == "files" and c["name"] == "sendfile")
    assert sent > 64 * 1024, f"while the server had sent far more ({sent} bytes) before the close"


def test_attached_server_shows_accept_and_sendfile_and_keeps_serving(lab, node):
    got = record.record_in_lab(lab, "alice", "fetch files:hello.txt", server="files:9090")
    assert got.status == 0, f"the fetch works while the server is traced: {got.stdout} {got.stderr}"
    server = [c for c in got.calls if c["node"] == "files"]
    names = [c["name"] for c in server]
    assert "accept" in names and "sendfile" in names, f"the server's accept and sendfile rows: {names}"
    accept = server[names.index("accept")]
    sendfile = server[names.index("sendfile")]
    alice = course.address_of(node, "alice")
    assert accept["remote"].startswith(f"{alice}:") and sendfile["remote"] == accept["remote"], \
        "the server accepted alice's connection and sent the file on it"
    assert sendfile["thread"] != accept["thread"] and sendfile["pid"] == accept["pid"], \
        "one thread accepts, another (of the same process) serves the connection"
    assert got.detached, "strace has left the server"
    traced = node("files").sh("grep -l '^TracerPid:[[:space:]]*[1-9]' /proc/[0-9]*/task/*/status").out
    assert traced.strip() == "", f"no process in files is still traced: {traced}"
    again = node("alice").sh("fetch files:hello.txt", timeout=30)
    assert again.ok, f"the server keeps serving after the trace: {again.out}{again.err}"


def test_recorded_calls_agree_with_straces_own_count(lab, node):
    """netcat, a program no one here wrote, under the recorder; strace's own summary of the
    same run counts each syscall: every one is read, and each socket call is either a row
    or left out as not the network's (netcat asks nscd over a Unix socket first)."""
    files = course.address_of(node, "files")
    size = int(node("files").ok("stat -c %s /srv/files/hello.txt"))
    got = record.record_in_lab(lab, "alice", f"printf hello.txt | nc -N -n -w 5 {files} 9090 > /dev/null")
    assert got.status == 0, f"nc fetched hello.txt: {got.stderr}"
    for name, (calls, errors) in got.counts.items():
        assert got.parsed[name] == calls, f"{name}: strace counted {calls}, {got.parsed[name]} were read"
    for name in SOCKET_ONLY:
        rows = sum(c["syscalls"] for c in got.calls if c["syscall"] == name)
        assert rows + got.left_out[name] == got.counts.get(name, (0, 0))[0], \
            f"{name}: strace counted {got.counts.get(name)}, {rows} rows and {got.left_out[name]} left out"
    rows = [(c["name"], c["result"] if c["error"] is None else c["error"]) for c in got.calls]
    assert rows == [("socket", 3), ("connect", "EINPROGRESS"), ("write", 9), ("shutdown", 0),
                    ("read", size), ("read", 0), ("shutdown", "ENOTCONN"), ("close", 0)], \
        f"netcat's calls on its one TCP socket, as it made them: {rows}"


def test_a_crashing_program_keeps_its_calls(lab, node):
    files = course.address_of(node, "files")
    program = ("import socket; s = socket.create_connection(('%s', 9090)); s.send(b'hello.txt'); "
               "raise SystemExit('crash after send')" % files)
    got = record.record_in_lab(lab, "alice", f'python3 -c "{program}"')
    assert got.status == 1 and "crash after send" in got.stderr, "the crash and its message are shown"
    assert [c["name"] for c in got.calls if c["file"] == "<string>"][-2:] == ["connect", "send"], \
        "the calls up to the crash are recorded, with the program's names"


def gone(node, pid: str) -> str:
    """'' when the process is gone and nothing in alice is traced; else what is left."""
    return node("alice").sh(f"test -e /proc/{pid} && echo {pid} alive; "
                            "grep -l '^TracerPid:[[:space:]]*[1-9]' /proc/[0-9]*/task/*/status").out.strip()


def test_a_hanging_program_is_stopped_at_the_time_limit(lab, node):
    program = ("import os, socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
               "s.bind(('', 9191)); print(os.getpid(), flush=True); s.recvfrom(1024)")
    got = record.record_in_lab(lab, "alice", f'python3 -c "{program}"', timeout=3)
    assert got.timed_out and got.killed, "the program is killed at the time limit"
    last = got.calls[-1]
    assert (last["name"], last["error"]) == ("recvfrom", "unfinished"), \
        "the call it hung in is shown, unfinished"
    left = gone(node, got.stdout.split()[0])
    assert left == "", f"nothing of the trace is left running or attached in alice: {left}"


def test_a_program_that_forks_ends_the_trace_when_it_ends(lab, node):
    program = ("import os, socket, time\n"
               "r, w = os.pipe()\n"
               "if os.fork() == 0:\n"
               "    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('', 9192))\n"
               "    os.write(w, str(os.getpid()).encode()); time.sleep(600)\n"
               "print('child', os.read(r, 20).decode(), flush=True)\n"
               "print('parent done', flush=True)\n")
    course.put(node("alice").container, FOLDER, "forks.py", program)
    try:
        got = record.record_in_lab(lab, "alice", f"python3 {FOLDER}/forks.py", timeout=60)
    finally:
        node("alice").sh(f"rm -rf {FOLDER}")
    assert got.status == 0 and "parent done" in got.stdout and not got.timed_out, \
        "the trace ends when the command ends, not when its forked child does"
    child = got.stdout.split()[1]
    assert any(c["name"] == "bind" and c["pid"] == int(child) for c in got.calls), \
        "the forked child's calls are recorded too, under its own pid"
    left = gone(node, child)
    assert left == "", f"the child the trace left is killed, nothing stays attached: {left}"


def test_a_server_that_is_not_there_is_one_clear_error(lab):
    with pytest.raises(LabError, match="nothing listens on tcp 9999"):
        record.record_in_lab(lab, "alice", "true", server="files:9999")


# --- in the ladder: `make trace ... CALLS=1`, the calls joined to the frames -------------------

def make_trace(tmp_path, node_name: str, command: str, server: str | None = None) -> tuple[list[dict], str]:
    """`make trace NODE=.. CMD=.. CALLS=1 [SERVER=..] JSON=..`, as a learner types it: the
    trace's events and what it printed."""
    out = tmp_path / "trace.json"
    argv = ["make", "-s", "trace", f"NODE={node_name}", f"CMD={command}", "CALLS=1", f"JSON={out}",
            f"OUT={tmp_path / 'pcap'}"] + ([f"SERVER={server}"] if server else [])
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=400, env=os.environ)
    assert out.exists(), f"make trace wrote its JSON: {done.stdout[-2000:]}{done.stderr[-2000:]}"
    return json.loads(out.read_text()), done.stdout + done.stderr


def frames_of_hops(events: list[dict], hops: list, network_of_node: str) -> list[dict]:
    """The frames of these hops as seen at the node (its own network)."""
    return [e for e in events if e["kind"] == "frame" and e["hop"] in hops
            and network_of_node in (e["src_node"], e["dst_node"])]


def tcp_fields(frame: dict) -> dict:
    return next(layer["fields"] for layer in frame["layers"] if layer["name"] == "TCP")


def tcp_payload(frame: dict) -> int:
    ip = next(layer["fields"] for layer in frame["layers"] if layer["name"] == "IP")
    return ip["len"] - 4 * ip["ihl"] - 4 * tcp_fields(frame)["dataofs"]


def test_course_tcp_client_in_the_ladder_connect_send_close(tmp_path, node, folder):
    files = course.address_of(node, "files")
    text, lines = course.script("download_client.py", "SERVER_IP", files)
    course.put(node("alice").container, folder, "download_client.py", text)
    events, printed = make_trace(tmp_path, "alice", f"cd {folder} && echo hello.txt | python3 download_client.py")
    calls = [e for e in events if e["kind"] == "call" and (e["file"] or "").endswith("download_client.py")]
    by_name = {c["name"]: c for c in calls}
    connect = frames_of_hops(events, by_name["connect"]["hops"], "alice")
    flags = [str(tcp_fields(f)["flags"]) for f in connect]
    assert flags == ["S", "SA", "A"], f"connect is the three-way handshake, SYN, SYN-ACK, ACK: {flags}"
    send = frames_of_hops(events, by_name["send"]["hops"], "alice")
    assert len(send) == 1 and tcp_payload(send[0]) == len("hello.txt") == by_name["send"]["result"], \
        "send of the 9-byte file name is one data segment of 9 bytes"
    close = frames_of_hops(events, by_name["close"]["hops"], "alice")
    assert len(close) == 1 and "F" in str(tcp_fields(close[0])["flags"]), "close is the client's FIN"
    row = f"download_client.py:{course.line_of(lines, '.connect(')} connect({files}:9090) = 0"
    assert row in printed, f"the ladder shows the call beside the learner's line: {row}"


def test_unbound_sender_in_the_ladder_two_datagrams_from_two_ports(tmp_path, node, folder):
    alice = course.address_of(node, "alice")
    text, _ = course.script("udp_sender.py", "SERVER_IP", alice)
    course.put(node("bob").container, folder, "udp_sender.py", text)
    ports = []
    try:
        for run in range(2):
            events, _ = make_trace(tmp_path, "bob", f"cd {folder} && printf 'hi\\nexit\\n' | python3 udp_sender.py")
            sendto = [e for e in events if e["kind"] == "call" and e["name"] == "sendto"]
            assert len(sendto) == 1, f"one sendto row: {sendto}"
            datagram = frames_of_hops(events, sendto[0]["hops"], "bob")
            assert len(datagram) == 1 and datagram[0]["dst_ip"] == alice, "sendto is the one datagram to alice"
            udp = next(layer["fields"] for layer in datagram[0]["layers"] if layer["name"] == "UDP")
            assert udp["len"] - 8 == 2 and str(udp["sport"]) == sendto[0]["local"].rsplit(":", 1)[1], \
                "of the 2 bytes sent, from the port the call's row names"
            ports.append(udp["sport"])
    finally:
        node("bob").sh(f"rm -rf {folder}")
    assert ports[0] != ports[1], f"each run of an unbound sender gets a new source port: {ports}"


def test_one_recv_row_says_1024_while_the_frames_carry_the_whole_file(tmp_path, node, folder):
    """A file of 5000 bytes, served for this test: more than one recv(1024) reads, little
    enough to arrive whole before the client closes."""
    name, size = "calls-5000.txt", 5000
    node("files").ok(f"python3 -c \"open('/srv/files/{name}', 'w').write(('x' * 99 + chr(10)) * 50)\"")
    text, _ = course.script("download_one_recv.py", "SERVER_IP", course.address_of(node, "files"))
    course.put(node("alice").container, folder, "download_one_recv.py", text)
    try:
        events, printed = make_trace(tmp_path, "alice", f"cd {folder} && echo {name} | python3 download_one_recv.py")
    finally:
        node("files").sh(f"rm -f /srv/files/{name}")
    recv = [e for e in events if e["kind"] == "call" and e["name"] == "recv"]
    assert len(recv) == 1 and recv[0]["result"] == 1024 and "recv(1024) = 1024" in printed, \
        "the one recv row says it read 1024 bytes"
    connect = next(e for e in events if e["kind"] == "call" and e["name"] == "connect")
    local = connect["local"].rsplit(":", 1)[1]
    carried = sum(tcp_payload(f) for f in events if f["kind"] == "frame" and f["proto"] == "tcp"
                  and f["dst_node"] == "alice" and str(tcp_fields(f)["dport"]) == local)
    assert carried == size, f"while the frames brought alice the whole file, {size} bytes: {carried}"


def test_server_calls_in_the_ladder_and_the_server_serves_on(tmp_path, node):
    events, printed = make_trace(tmp_path, "alice", "fetch files:hello.txt", server="files:9090")
    server = [e for e in events if e["kind"] == "call" and e["node"] == "files"]
    names = [c["name"] for c in server]
    assert "accept" in names and "sendfile" in names, f"the server's accept and sendfile rows: {names}"
    accept = server[names.index("accept")]
    handshake = frames_of_hops(events, accept["hops"], "files")
    assert [str(tcp_fields(f)["flags"]) for f in handshake] == ["S", "SA", "A"], \
        "the server's accept is joined to the handshake of the connection it returned"
    sendfile = server[names.index("sendfile")]
    assert "sendfile(" in printed and frames_of_hops(events, sendfile["hops"], "files"), \
        "the sendfile row is drawn, joined to the segments that carried the file"
    again = node("alice").sh("fetch files:hello.txt", timeout=30)
    assert again.ok, f"the server keeps serving after the trace: {again.out}{again.err}"


def readme_calls_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"### Socket calls beside the frames\n+```sh\n(.*?)```", text, re.S).group(1)
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.startswith("make ")]


def test_readme_calls_commands(lab, tmp_path):
    commands = readme_calls_commands()
    assert len(commands) == 2, f"the README's calls block as this test knows it: {commands}"
    for command in commands:
        done = subprocess.run([*shlex.split(command), f"OUT={tmp_path}"], cwd=ROOT, capture_output=True,
                              text=True, timeout=400)
        printed = done.stdout + done.stderr
        assert done.returncode == 0, f"`{command}` works as the README says: {printed[-2000:]}"
        for row in ("getaddrinfo(files)", "connect(", "sendall(", "recv(", "close()"):
            assert row in printed, f"`{command}` shows fetch's {row} row: {printed[-2000:]}"
        if "SERVER=" in command:
            assert "accept(" in printed and "sendfile(" in printed, \
                f"`{command}` shows the server's accept and sendfile: {printed[-2000:]}"


def test_the_chats_two_threads_are_told_apart(lab, node, folder):
    """The course's threaded chat on carol: the main thread sends, another receives."""
    alice, carol = course.address_of(node, "alice"), course.address_of(node, "carol")
    text, lines = course.script("chat.py", "PEER_IP", alice)
    course.put(node("carol").container, folder, "chat.py", text)
    node("carol").ok("chat pause 60")
    hello = "from alice to the chat on carol"

    def send_once_bound():
        """Once chat.py has bound 9090 (the lab's listener is paused), alice sends to it."""
        node("carol").sh("for i in $(seq 200); do ss -Hlun 'sport = :9090' | grep -q . && exit 0; "
                         "sleep 0.1; done", timeout=40)
        node("alice").sh(f"python3 -c \"import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM)"
                         f".sendto(b'{hello}', ('{carol}', 9090))\"")

    sender = threading.Thread(target=send_once_bound)
    sender.start()
    try:
        got = record.record_in_lab(lab, "carol", f"cd {folder} && (sleep 8; echo hi; sleep 1; echo exit) | python3 chat.py")
    finally:
        sender.join()
        node("carol").sh(f"rm -rf {folder}; chat resume")  # the next test finds carol's listener
    calls = ours(got, "carol", "chat.py")
    sendto = [c for c in calls if c["name"] == "sendto"]
    recvfrom = [c for c in calls if c["name"] == "recvfrom" and c["result"]]
    assert sendto and recvfrom, f"the chat sent and received: {[c['summary'] for c in calls]}"
    assert sendto[0]["line"] == course.line_of(lines, ".sendto(") and \
        recvfrom[0]["line"] == course.line_of(lines, ".recvfrom(1024)"), "each row at its line of chat.py"
    assert recvfrom[0]["result"] == len(hello) and recvfrom[0]["pid"] == sendto[0]["pid"], \
        "the receiving thread read alice's datagram, in the same process"
    assert recvfrom[0]["thread"] != sendto[0]["thread"], "the receiver's thread is not the sender's"


def test_ctrl_c_during_a_recording_leaves_nothing_attached_or_running(lab, node):
    """The host side interrupted (what Ctrl-C does to `make trace ... CALLS=1`) while the
    command waits and strace is attached to the file server."""
    program = "import os, time; print(os.getpid(), flush=True); time.sleep(300)"
    done = threading.Event()

    def interrupt():
        while not done.is_set():
            if "strace" in node("files").sh("ps -eo args").out and \
                    "time.sleep" in node("alice").sh("ps -eo args").out:
                os.kill(os.getpid(), signal.SIGINT)
                return

    watcher = threading.Thread(target=interrupt, daemon=True)
    watcher.start()
    with pytest.raises(KeyboardInterrupt):
        record.record_in_lab(lab, "alice", f'python3 -c "{program}"', server="files:9090", timeout=120)
    done.set()
    for name in ("alice", "files"):
        left = node(name).sh("ps -eo args | grep -E 'strace|agent.py|time.sleep' | grep -v grep; "
                             "grep -l '^TracerPid:[[:space:]]*[1-9]' /proc/[0-9]*/task/*/status").out.strip()
        assert left == "", f"nothing is left running or attached in {name} after Ctrl-C: {left}"
