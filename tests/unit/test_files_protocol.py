"""The file protocol's codec: golden bytes, the two request forms, the path refusal table."""
import pytest

from lanlab.files import handler as protocol
from lanlab.files.handler import BARE, OURS, Status

DIGEST = "0123456789abcdef" * 4


# --- golden bytes -------------------------------------------------------------------

def test_request_golden_bytes():
    assert protocol.build_request("hello.txt") == b"FILES/1 GET hello.txt\n", \
        "the request line is the contract with every client; it must not drift"
    assert protocol.build_request("dé/jà.txt") == "FILES/1 GET dé/jà.txt\n".encode(), \
        "names travel as UTF-8"


def test_ok_status_golden_bytes():
    assert protocol.build_status(protocol.ok(13, DIGEST)) == f"FILES/1 200 ok 13 {DIGEST}\n".encode(), \
        "a 200 line carries the size then the sha256, before the bytes"


@pytest.mark.parametrize("status, line", [
    (Status(404, "no such file: x"), b"FILES/1 404 not-found no such file: x\n"),
    (Status(403, "'..' leaves\nthe folder"), b"FILES/1 403 refused '..' leaves the folder\n"),
    (Status(503, ""), b"FILES/1 503 busy\n"),
])
def test_error_status_golden_bytes(status, line):
    assert protocol.build_status(status) == line, "an error is one status line, even if its text had newlines"


def test_status_round_trip():
    for status in (protocol.ok(0, DIGEST), protocol.ok(2**40, DIGEST), Status(404, "no such file: a b")):
        assert protocol.parse_status(protocol.build_status(status)) == status, \
            f"what the server builds the client must read back unchanged: {status}"


@pytest.mark.parametrize("line", [
    b"HTTP/1.0 200 OK\n",
    b"FILES/1 2000 ok 1 " + DIGEST.encode(),
    b"FILES/1 200 ok\n",
    b"FILES/1 200 ok 12 nothex\n",
    b"FILES/1 200 ok -1 " + DIGEST.encode(),
    b"FILES/1 abc refused x\n",
    b"FILES/1 404 \xff\n",
    b"",
])
def test_bad_status_lines_raise_protocol_error(line):
    with pytest.raises(protocol.ProtocolError):
        protocol.parse_status(line)


# --- the two request forms ------------------------------------------------------------

@pytest.mark.parametrize("buffer, ended, expected", [
    (b"FILES/1 GET hello.txt\n", False, (OURS, "hello.txt", None)),
    (b"FILES/1 GET hello.txt\r\n", False, (OURS, "hello.txt", None)),
    (b"FILES/1 GET a b.txt\n", False, (OURS, "a b.txt", None)),
    (b"FILES/1 PUT x\n", False, (OURS, None, 400)),
    (b"FILES/1 GET\n", False, (OURS, None, 400)),
    (b"FILES/1 GET hello", True, (OURS, None, 400)),
    (b"hello.txt", True, (BARE, "hello.txt", None)),
    (b"hello.txt\n", False, (BARE, "hello.txt", None)),
    (b"hello.txt\r\n", False, (BARE, "hello.txt", None)),
    (b" hello.txt \n", False, (BARE, "hello.txt", None)),
    (b"FIL", True, (BARE, "FIL", None)),
    (b"GET /hello.txt HTTP/1.0\r\n\r\n", False, (BARE, "GET /hello.txt HTTP/1.0", None)),
    (b"\x16\x03\x01\x02\x00", True, (BARE, None, 400)),
])
def test_parse_request(buffer, ended, expected):
    request = protocol.parse_request(buffer, ended)
    code = request.error.code if request.error else None
    assert (request.form, request.name, code) == expected, \
        f"{buffer!r} must read as {expected}: the first bytes tell the forms apart"


@pytest.mark.parametrize("buffer", [b"", b"F", b"FILES/1", b"FILES/1 ", b"FILES/1 GET hel", b"hello.txt"])
def test_incomplete_requests_wait_for_more(buffer):
    assert protocol.parse_request(buffer, ended=False) is None, \
        f"{buffer!r} may still grow into a request; answering now would cut it"


def test_over_long_requests_are_refused_without_a_newline():
    ours = protocol.parse_request(protocol.MAGIC + b"GET " + b"a" * 9000, ended=False)
    bare = protocol.parse_request(b"a" * 9000, ended=False)
    assert ours.error.code == 400 and bare.error.code == 400, \
        "a client that never sends a newline must not make the server buffer without end"


def test_the_first_bytes_decide_the_form():
    assert protocol.parse_request(b"FILES/1 GET x\n", False).form == OURS, "the magic makes it ours"
    assert protocol.parse_request(b"FILES.txt\n", False).form == BARE, \
        "a name that only starts like the magic is the course's bare form"


# --- the path refusal table -------------------------------------------------------

@pytest.mark.parametrize("raw, code", [
    (b"../etc/passwd", 403),
    (b"a/../../x", 403),
    (b"..", 403),
    (b"a/..", 403),
    (b"/etc/passwd", 403),
    (b"//etc/passwd", 403),
    (b"a\x00b", 400),
    (b"\x00", 400),
    (b"x" * 256, 400),
    (b"d/" + b"x" * 256, 400),
    (b"a/" * 2048 + b"b", 400),
    (b"\xff\xfe", 400),
    (b"a\tb", 400),
    (b"a\x1b[31m", 400),
    (b"a\x7f", 400),
    (b"", 400),
])
def test_refused_names(raw, code):
    with pytest.raises(protocol.Refused) as caught:
        protocol.check_name(raw)
    assert caught.value.status.code == code, f"{raw[:40]!r} must be refused with {code}: {caught.value.status}"


@pytest.mark.parametrize("raw, name", [
    (b"hello.txt", "hello.txt"),
    (b"docs//./a.txt", "docs/a.txt"),
    (b"dir/", "dir"),
    (b".", ""),
    (b"...", "..."),
    (b"..hidden", "..hidden"),
    (b"x" * 255, "x" * 255),
    ("é".encode() * 127, "é" * 127),
    (b"a/" * 2047 + b"bb", "a/" * 2047 + "bb"),
])
def test_accepted_names(raw, name):
    assert protocol.check_name(raw) == name, f"{raw[:40]!r} is a plain name inside the folder and must pass"
