"""The file service in the running lab: the flow from alice, twenty clients, hostile clients.

The flow test reads every step off the wire: a capture on the router shows alice's DNS query
and its answer, then the TCP handshake to files:9090, in that order (alice's address is a
DHCP lease and `files` a name in the lab's DNS). The same capture by address checks the
path without DNS.
"""
from __future__ import annotations

import io
import json
import re
import tarfile
import threading
import time

import pytest

from lanlab.control.probe import Background, Capture

BIG = "big.bin"
LINE = re.compile(r"IP (\d+\.\d+\.\d+\.\d+)\.(\d+) > (\d+\.\d+\.\d+\.\d+)\.(\d+): (.*)")


def address_of(node, name) -> str:
    out = node(name).ok("ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -1")
    return out.strip()


def sha256_on(node, name: str, path: str) -> str:
    return node(name).ok(f"sha256sum {path}").split()[0]


def copy_in(node, name: str, folder: str, files: dict[str, str]) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for filename, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(filename)
            info.size, info.mode = len(data), 0o755
            tar.addfile(info, io.BytesIO(data))
    node(name).ok(f"mkdir -p {folder}")
    assert node(name).container.put_archive(folder, buffer.getvalue()), f"copying files into {name} failed"


def in_parallel(*calls):
    """Run (function, args...) tuples at once; return their results in order."""
    results = [None] * len(calls)

    def run(index, call):
        results[index] = call[0](*call[1:])

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


# --- a capture on the router ------------------------------------------------------------

def capture(node, expression: str, count: int) -> Capture:
    """tcpdump on every router interface, listening before the action starts."""
    return Capture(node("router"), expression, count)


def packets_of(capture: Capture, wait: float = 15) -> list[tuple[str, int, str, int, str]]:
    """(src, sport, dst, dport, rest) per line, once tcpdump has its count (or `wait` passes)."""
    found = []
    for line in capture.lines(wait):
        match = LINE.search(line)
        if match:
            src, sport, dst, dport, rest = match.groups()
            found.append((src, int(sport), dst, int(dport), rest))
    return found


def fetch_and_hash(node, source: str) -> str:
    """`fetch` on alice, its bytes hashed by coreutils' sha256sum as they arrive (a pipe:
    nothing written to the container's disk); fetch's own exit status must be 0 too."""
    result = node("alice").sh(f"{{ fetch {source} -o /dev/stdout; echo fetch-exit=$? >&2; }} | sha256sum", timeout=300)
    assert result.ok and "fetch-exit=0" in result.err, f"alice's fetch {source} must succeed: {result.err}"
    return result.out


def first(packets, start: int, test) -> int:
    for index in range(start, len(packets)):
        if test(packets[index]):
            return index
    return -1


def handshake(packets, client: str, server: str, start: int = 0) -> tuple[int, int, int]:
    """Indexes of the SYN, SYN-ACK and ACK of the first connection client -> server:9090."""
    syn = first(packets, start, lambda p: p[0] == client and p[2] == server and p[3] == 9090
                and "Flags [S]," in p[4])
    port = packets[syn][1] if syn >= 0 else -1
    synack = first(packets, max(syn, 0), lambda p: p[0] == server and p[1] == 9090 and p[3] == port
                   and "Flags [S.]" in p[4])
    ack = first(packets, max(synack, 0), lambda p: p[0] == client and p[1] == port and p[3] == 9090
                and "Flags [.]" in p[4])
    return syn, synack, ack


def check_handshake(packets, client, server, after: int = 0) -> None:
    syn, synack, ack = handshake(packets, client, server, after)
    assert syn >= 0, f"the router must see alice's SYN to {server}:9090: {packets}"
    assert syn < synack < ack, f"SYN, SYN-ACK, ACK in that order on the router: {(syn, synack, ack)} {packets}"
    crossings = [p for p in packets if p[0] == client and p[3] == 9090 and "Flags [S]," in p[4]]
    assert len(crossings) >= 2, "the SYN enters the router on lan-a and leaves on lan-b (forwarded, not local)"


# --- the flow -------------------------------------------------------------------------

def test_fetch_through_the_router_by_address(node):
    alice, files = address_of(node, "alice"), address_of(node, "files")
    with capture(node, f"tcp port 9090 and host {alice}", count=12) as router:
        out = fetch_and_hash(node, f"{files}:{BIG}")
        seen = packets_of(router)
    check_handshake(seen, alice, files)
    assert sha256_on(node, "files", f"/srv/files/{BIG}") in out, \
        "the bytes alice got through the router have the server's sha256"


def test_the_flow_lease_then_dns_then_tcp_through_the_router(node, plan):
    resolv = node("alice").ok("cat /etc/resolv.conf")
    servers = [line.split()[1] for line in resolv.splitlines() if line.startswith("nameserver")]
    assert servers == [str(plan.dns)], \
        f"alice must ask only the lab's DNS {plan.dns} (from DHCP) before looking up files: {servers}"
    alice, files = address_of(node, "alice"), address_of(node, "files")
    assert alice == str(plan.host("alice").reserved), f"alice holds her reserved address, not {alice}"
    leases = node("dhcp").ok("python3 -m lanlab.dhcp.leases /var/lib/lanlab/dhcp")
    assert any(alice in line and "alice" in line for line in leases.splitlines()), \
        f"alice's address must be a DHCP lease in the server's table:\n{leases}"
    with capture(node, f"host {alice} and (udp port 53 or tcp port 9090)", count=30) as router:
        out = fetch_and_hash(node, f"files:{BIG}")
        packets = packets_of(router)
    query = first(packets, 0, lambda p: p[0] == alice and p[2] == str(plan.dns) and p[3] == 53
                  and re.search(r"\bA\? files\b", p[4]))
    answer = first(packets, max(query, 0), lambda p: p[0] == str(plan.dns) and p[1] == 53 and p[2] == alice
                   and f"A {files}" in p[4])
    assert query >= 0, f"alice asks the lab's DNS ({plan.dns}) for files' A record, through the router: {packets}"
    assert answer > query, f"then the answer names files' address {files}: {packets}"
    check_handshake(packets, alice, files, after=answer)
    assert handshake(packets, alice, files, answer)[0] > answer, "and only then the TCP handshake to files:9090"
    assert sha256_on(node, "files", f"/srv/files/{BIG}") in out, "the bytes' sha256 equals the server's"


# --- load and hostility -----------------------------------------------------------------

def fetch_many(node, name: str, files: str, count: int) -> str:
    script = (f"for i in $(seq {count}); do (fetch -q {files}:{BIG} -o /dev/null; echo rc=$?) & done; wait")
    return node(name).sh(script, timeout=900).out


def test_twenty_simultaneous_fetches_all_verify(node):
    files = address_of(node, "files")
    outs = in_parallel((fetch_many, node, "alice", files, 7), (fetch_many, node, "bob", files, 7),
                       (fetch_many, node, "carol", files, 6))
    codes = [line for out in outs for line in out.split() if line.startswith("rc=")]
    assert len(codes) == 20, f"all twenty fetches must finish: {outs}"
    assert codes.count("rc=0") == 20, \
        f"every one checks size and sha256 and must succeed (busy, mismatch or timeout would not): {outs}"


HOSTILE = r'''
import json, socket, sys, time
host = sys.argv[1]

def talk(payload, read=True, wait=20):
    s = socket.create_connection((host, 9090), timeout=wait)
    s.sendall(payload)
    data = b""
    if read:
        try:
            while chunk := s.recv(65536):
                data += chunk
        except OSError as e:
            data += ("<%s>" % e).encode()
    s.close()
    return data.split(b"\n")[0].decode(errors="replace") if data else ""

def ours(name):
    return talk(b"FILES/1 GET " + name + b"\n")

results = {}
for name in [b"../etc/passwd", b"/etc/passwd", b"a/../../etc/passwd", b"out-link", b"etc-link/passwd",
             b"hel\x00lo.txt", b"x" * 256, b"a/" * 2100, b"nope.txt", b"subdir", b"\xff\xfe"]:
    results["ours " + repr(name)[:40]] = ours(name)
for name in [b"../etc/passwd", b"/etc/passwd", b"out-link", b"nope.txt", b"hel\x00lo.txt"]:
    results["bare " + repr(name)[:40]] = talk(name)
results["garbage"] = talk(bytes(range(1, 10)) + bytes(range(11, 256)))
results["tls hello"] = talk(b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + b"\x00" * 40)
results["http"] = talk(b"GET /etc/passwd HTTP/1.1\r\nHost: files\r\n\r\n")
print(json.dumps(results))
'''

SLOW = r'''
import socket, sys, time
host, port = sys.argv[1], int(sys.argv[2])
held = []
for i in range(10):                       # slow loris: a byte now and then
    s = socket.create_connection((host, port)); s.sendall(b"FILES/1 GET hel"); held.append(s)
reader = socket.socket(); reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
reader.connect((host, port)); reader.sendall(b"FILES/1 GET big.bin\n")   # never reads
half = socket.create_connection((host, port)); half.sendall(b"FILES/1 GET big.b")  # never finishes
half.settimeout(30)
print("attacking", flush=True)
start = time.monotonic()
answer = half.recv(100)
print("half-sent answered after %.1f s: %r" % (time.monotonic() - start, answer), flush=True)
for s in held:
    try:
        s.sendall(b"l")
    except OSError:
        pass
time.sleep(600)                           # holds every connection until the test ends it
'''

# A second file server in `files`, the lab's own program with short limits, so that the
# request deadline and the idle timeout (10 s and 30 s on TCP 9090) pass in seconds.
SHORT_PORT, REQUEST_TIMEOUT, IDLE_TIMEOUT = 9091, 2, 3
SHORT_SERVER = (f"python3 -c 'from lanlab.files import program; import time; "
                f"program.start(port={SHORT_PORT}, request_timeout={REQUEST_TIMEOUT}, idle_timeout={IDLE_TIMEOUT}); "
                f"time.sleep(600)'")


@pytest.fixture
def escape_links(node):
    files = node("files")
    files.ok("ln -sfn /etc/passwd /srv/files/out-link && ln -sfn /etc /srv/files/etc-link && mkdir -p /srv/files/subdir")
    yield
    files.sh("rm -rf /srv/files/out-link /srv/files/etc-link /srv/files/subdir")


@pytest.fixture
def short_server(node):
    with Background(node("files"), SHORT_SERVER) as server:
        assert server.wait_for(f"TCP 0.0.0.0:{SHORT_PORT}", 30), f"the short-limits server must start: {server.output()}"
        yield server


def test_hostile_requests_are_refused(node, escape_links):
    files = address_of(node, "files")
    copy_in(node, "carol", "/tmp/hostile", {"hostile.py": HOSTILE})
    since = time.time()
    hostile = node("carol").sh(f"python3 /tmp/hostile/hostile.py {files}", timeout=120)
    results = json.loads(hostile.out)
    assert len(results) == 19, f"every hostile request must have been sent and answered: {hostile.out}{hostile.err}"
    for label, status in results.items():
        if label.startswith("ours "):
            code = "400" if any(k in label for k in ("\\x00", "xxxx", "a/a/", "\\xff")) else \
                   "404" if any(k in label for k in ("nope", "subdir")) else "403"
            assert status.startswith(f"FILES/1 {code} "), f"{label}: expected a {code} status, got {status!r}"
        else:
            assert status == "", f"{label}: the bare form gets a close with no bytes, got {status!r}"
    log = node("files").container.logs(since=int(since) - 1).decode(errors="replace")
    assert log.count("bare request") >= 8, "each refused bare request leaves a log line on files"
    assert node("alice").sh(f"fetch {files}:hello.txt -o /dev/null").ok, "and the service still serves after it all"


def test_slow_and_stalled_clients_are_dropped_while_others_are_served(node, short_server):
    files = address_of(node, "files")
    copy_in(node, "carol", "/tmp/hostile", {"slow.py": SLOW})
    with Background(node("carol"), f"python3 /tmp/hostile/slow.py {files} {SHORT_PORT}") as slow:
        assert slow.wait_for("attacking", 30), f"the slow clients must connect: {slow.output()}"
        normal = node("alice").sh(f"fetch -p {SHORT_PORT} {files}:{BIG} -o /dev/null", timeout=300)
        assert normal.ok and "sha256 ok" in normal.err, \
            f"a normal fetch during the attack must succeed: {normal.err}"
        assert slow.wait_for("half-sent answered", REQUEST_TIMEOUT + 15) and "408" in slow.output(), \
            f"a half-sent request is answered 408 at the request deadline: {slow.output()}"
        assert short_server.wait_for("no progress", IDLE_TIMEOUT + 15), \
            f"a client that never reads is dropped at the idle timeout: {short_server.output()}"
    assert node("alice").sh(f"fetch -p {SHORT_PORT} {files}:hello.txt -o /dev/null").ok, \
        "and the service still serves after it all"


def test_fetch_failures_are_one_clear_line(node, plan):
    files = address_of(node, "files")
    nobody = plan.subnet("lan-b").host(250)   # inside the lab, on lan-b, and unused
    cases = {
        f"fetch {files}:nope.txt": "not found",
        f"fetch {files}:../etc/passwd": "refused",
        f"fetch {nobody}:hello.txt": "cannot reach",
        f"fetch {address_of(node, 'carol')}:hello.txt": "cannot reach",   # a host with no file server
    }
    for command, words in cases.items():
        result = node("alice").sh(f"cd /tmp && {command} -o /tmp/out.txt; echo rc=$?; ls /tmp/out.txt 2>&1",
                                  timeout=60)
        lines = [line for line in result.err.splitlines() if line.strip()]
        assert "rc=1" in result.out, f"`{command}` must exit 1: {result.out}{result.err}"
        assert len(lines) == 1 and words in lines[0], f"`{command}`: one line saying {words!r}: {result.err!r}"
        assert "No such file" in result.out + result.err, f"`{command}` must leave no file behind"


def test_real_clients_speak_both_forms(node):
    """netcat, which no one here wrote, in the course's bare form and in ours."""
    files = address_of(node, "files")
    expected = node("files").ok("cat /srv/files/hello.txt")
    bare = node("alice").ok(f"printf 'hello.txt' | nc -N -w 5 {files} 9090")
    assert bare == expected, "nc sending just the name gets the file and a close (the bare form)"
    ours = node("alice").ok(f"printf 'FILES/1 GET hello.txt\\n' | nc -N -w 5 {files} 9090")
    head, _, body = ours.partition("\n")
    digest = node("files").ok("sha256sum /srv/files/hello.txt").split()[0]
    assert head == f"FILES/1 200 ok {len(expected.encode())} {digest}", f"our form states size and sha256 first: {head!r}"
    assert body == expected, "then the bytes"
