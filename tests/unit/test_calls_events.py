"""strace's output into call events (lanlab/wire/calls): lines as strace 6.1 wrote them
in a node (`strace -f -ttt -yy -s 64`), the marks of the start-up hook, bad lines."""
from __future__ import annotations

import json

import pytest

from lanlab.wire.calls import events, strace

SERVER = """\
7     1795974682.327745 accept4(3<TCP:[127.0.0.1:9090]>, {sa_family=AF_INET, sin_port=htons(34302), sin_addr=inet_addr("127.0.0.1")}, [16], SOCK_CLOEXEC) = 4<TCP:[127.0.0.1:9090->127.0.0.1:34302]>
7     1795974683.079029 clone(child_stack=0x7ff0ec941f70, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, parent_tid=[21], tls=0x7ff0ec9426c0, child_tidptr=0x7ff0ec942990) = 21
21    1795974683.079857 recvfrom(4<TCP:[127.0.0.1:9090->127.0.0.1:34302]>,  <unfinished ...>
7     1795974683.090422 accept4(3<TCP:[127.0.0.1:9090]>,  <unfinished ...>
21    1795974683.091059 <... recvfrom resumed>"x\\n", 100, 0, NULL, NULL) = 2
21    1795974683.091792 sendfile(4<TCP:[127.0.0.1:9090->127.0.0.1:34302]>, 6</etc/services>, [0] => [12813], 12813) = 12813
21    1795974683.092320 close(6</etc/services>) = 0
21    1795974683.092528 close(4<TCP:[127.0.0.1:9090->127.0.0.1:34302]>) = 0
21    1795974683.093032 +++ exited with 0 +++
"""

CLIENT = "\n".join([
    "22    10.000002 socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_IP) = 5<UDP:[193284]>",
    '22    10.000004 sendto(5<UDP:[193284]>, "hello", 5, 0, {sa_family=AF_INET, sin_port=htons(9090), sin_addr=inet_addr("172.24.7.20")}, 16) = 5',
    "22    10.000006 close(5<UDP:[0.0.0.0:48545]>) = 0",
    "22    10.000007 socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0) = 6<UNIX-STREAM:[101934]>",
    '22    10.000008 connect(6<UNIX-STREAM:[101934]>, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT (No such file or directory)',
    "22    10.000009 socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = 7<TCP:[1]>",
    '22    10.000010 connect(7<TCP:[1]>, {sa_family=AF_INET, sin_port=htons(9090), sin_addr=inet_addr("172.24.13.5")}, 16) = -1 ECONNREFUSED (Connection refused)',
    "22    10.000011 +++ exited with 1 +++",
]) + "\n"

# The hook's marks: each a moment before its syscall (the sendto's mark 0.4 us "after" it,
# as a microsecond clock may show it).
MARKS = "\n".join(json.dumps(m) for m in [
    {"seq": 1, "pid": 22, "tid": 22, "t": 10.0000011, "name": "socket", "file": "udp_sender.py", "line": 5},
    {"seq": 2, "pid": 22, "tid": 22, "t": 10.0000044, "name": "sendto", "file": "udp_sender.py", "line": 7},
    {"seq": 3, "pid": 22, "tid": 22, "t": 10.0000051, "name": "close", "file": "udp_sender.py", "line": 8},
]) + "\n"


def test_a_call_split_by_another_thread_is_joined_with_its_start_time():
    trace = strace.parse(SERVER)
    recv = [c for c in trace.calls if c.name == "recvfrom"][0]
    assert (recv.t, recv.t_end, recv.result) == (1795974683.079857, 1795974683.091059, 2), \
        "a blocking recv began when it was called and ended when data woke it"
    assert recv.args[1] == '"x\\n"', "the resumed half carries the data"
    pending = [c for c in trace.calls if c.name == "accept4" and not c.finished]
    assert len(pending) == 1, "an accept still waiting when the trace ended is unfinished"
    assert trace.exits[0].tid == 21 and trace.exits[0].status == 0, "exits are read"


def test_descriptors_results_and_addresses():
    assert strace.describe("TCP:[10.0.0.2:40000->10.0.0.3:9090]") == \
        strace.Socket("TCP", "10.0.0.2:40000", "10.0.0.3:9090"), "-yy names both ends"
    assert strace.describe("UDPv6:[[::]:55275]") == strace.Socket("UDPv6", "[::]:55275"), \
        "an IPv6 socket's address keeps its brackets"
    assert strace.describe("TCP:[101915]") == strace.Socket("TCP"), "an unbound socket: inode only"
    assert strace.describe("/etc/services") is None, "a file is not a socket"
    assert strace.parse_result("= -1 ECONNREFUSED (Connection refused)") == (-1, "", "ECONNREFUSED"), \
        "the error name is the learner's ECONNREFUSED"
    assert strace.parse_result("= 4<TCP:[1.2.3.4:5->6.7.8.9:10]>")[:2] == (4, "TCP:[1.2.3.4:5->6.7.8.9:10]"), \
        "accept's result is the new socket, described"
    six = '{sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}'
    assert strace.address(six) == "[::1]:80", "IPv6 socket addresses are read"


def test_args_are_split_outside_quotes_and_brackets():
    args, tail = strace.split_args('3<TCP:[1]>, "a, b) \\" c", {x=1, y=[2, 3]}, 5) = 5')
    assert args == ['3<TCP:[1]>', '"a, b) \\" c"', '{x=1, y=[2, 3]}', '5'] and tail == "= 5", \
        "commas and parentheses inside strings and structures do not split arguments"


def test_server_events_accept_recv_sendfile_close_in_their_threads():
    calls = events.build(strace.parse(SERVER), "files", keep_unfinished=False)
    assert [c["name"] for c in calls] == ["accept", "recvfrom", "sendfile", "close"], \
        "the server's calls on TCP sockets only (a file's close is not one), an accept still waiting is not"
    accept, recv, sendfile, close = calls
    assert accept["remote"] == "127.0.0.1:34302" and accept["result"] == 4, "accept names the client"
    assert {c["pid"] for c in calls} == {7} and recv["thread"] == 21 != accept["thread"], \
        "a connection's thread belongs to the server's process and is told apart"
    assert sendfile["result"] == 12813 and sendfile["args"]["file"] == "/etc/services", \
        "sendfile says how many bytes of which file"
    assert all(c["file"] is None for c in calls), "a process without the hook has no file and line"


def test_client_events_take_the_programs_names_lines_and_later_known_port():
    calls = events.build(strace.parse(CLIENT), "alice", events.read_marks(MARKS))
    names = [(c["name"], c["file"], c["line"]) for c in calls]
    assert names == [("socket", "udp_sender.py", 5), ("sendto", "udp_sender.py", 7),
                     ("close", "udp_sender.py", 8), ("socket", None, None), ("connect", None, None)], \
        f"each call named and placed at the program's line; Unix sockets left out: {names}"
    sendto = calls[1]
    assert sendto["local"] == "0.0.0.0:48545", \
        "an unbound sendto's source port, chosen by the kernel, is read from a later call"
    assert sendto["args"]["address"] == "172.24.7.20:9090" and sendto["result"] == 5, "to whom, how much"
    assert sendto["summary"] == 'udp_sender.py:7 sendto(5 B "hello", 172.24.7.20:9090) = 5', \
        "the ladder's label reads next to the learner's code"
    assert calls[-1]["error"] == "ECONNREFUSED" and "ECONNREFUSED" in calls[-1]["summary"], \
        "a refused connect says so"


def test_getaddrinfo_spans_its_marks_and_hides_the_resolvers_sockets():
    marks = "\n".join(json.dumps(m) for m in [
        {"seq": 1, "pid": 9, "tid": 9, "t": 1.0, "name": "getaddrinfo", "file": "c.py", "line": 3,
         "host": "files", "port": "9090"},
        {"seq": 2, "pid": 9, "tid": 9, "t": 1.5, "name": "getaddrinfo", "phase": "return",
         "result": ["172.24.13.100"]},
        {"seq": 3, "pid": 9, "tid": 9, "t": 1.55, "name": "socket", "file": "c.py", "line": 4}])
    text = "\n".join([
        "9    1.100000 socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 4<UDP:[5]>",
        '9    1.200000 sendto(4<UDP:[5]>, "\\1\\2", 30, MSG_NOSIGNAL, NULL, 0) = 30',
        "9    1.600000 socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = 4<TCP:[6]>"]) + "\n"
    calls = events.build(strace.parse(text), "alice", events.read_marks(marks))
    assert [c["name"] for c in calls] == ["getaddrinfo", "socket"], \
        "the resolver's own socket calls are part of getaddrinfo, not the program's"
    assert (calls[0]["t"], calls[0]["t_end"], calls[0]["result"]) == (1.0, 1.5, ["172.24.13.100"]), \
        "getaddrinfo spans its call and return, with the addresses it answered"
    assert calls[1]["line"] == 4, "the next call is the program's own again"


@pytest.mark.parametrize("text", ["garbage\n", "12 notatime read(3) = 1\n"])
def test_output_that_is_not_strace_is_refused_in_one_line(text):
    with pytest.raises(strace.TraceError, match="not strace"):
        strace.parse(text)


def test_a_mark_cut_short_by_a_kill_is_skipped():
    marks = events.read_marks('{"seq": 1, "pid": 1, "tid": 1, "t": 1.0, "name": "recv", "file": "a.py", '
                              '"line": 2}\n{"seq": 2, "pi')
    assert [m.line for m in marks[1]] == [2], \
        "a killed program's last half-written mark is not an error"


def test_straces_own_summary_is_kept():
    text = SERVER + """syscall              calls    errors
---------------- --------- ---------
accept4                  2          
connect                  1         1
---------------- --------- ---------
total                    3         1
"""
    trace = strace.parse(text)
    assert trace.counts == {"accept4": (2, 0), "connect": (1, 1)}, \
        "strace's own count of each syscall is what the recorded calls are checked against"
    assert len(trace.calls) == 7, "the summary table is not read as calls"


def test_the_hook_reads_the_folder_the_agent_names():
    from lanlab.wire.calls import agent, hook
    assert hook.MARKS_VAR == agent.MARKS_VAR, "the hook runs alone in the node: its copy of the name must agree"
