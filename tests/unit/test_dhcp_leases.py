"""Durable leases: what was committed survives a crash (a real kill -9 of a writer), a torn
last line is cut off, and after a restart no ACKed address goes to another client."""
import ipaddress
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from dhcp_helpers import dora, request, only_reply, small_config  # noqa: E402

from lanlab.dhcp import codec, leases  # noqa: E402
from lanlab.dhcp.leases import BOUND, Lease, LeaseStore  # noqa: E402
from lanlab.dhcp.handler import Server  # noqa: E402

NOW = 1_700_000_000.0
ROOT = Path(__file__).resolve().parents[2]


def lease(n: int, state=BOUND, host="h") -> Lease:
    return Lease(ipaddress.IPv4Address(f"192.168.7.{100 + n}"), b"\x00c" + bytes([n]), b"\x02" * 6,
                 f"{host}{n}", int(NOW) + 3600, state)


def test_committed_leases_load_again(tmp_path):
    store = LeaseStore(str(tmp_path))
    store.load()
    store.commit([lease(1), lease(2)])
    store.commit([lease(1, leases.RELEASED)])
    loaded = LeaseStore(str(tmp_path)).load()
    assert set(loaded) == {lease(1).address, lease(2).address}, "every committed address is known again"
    assert loaded[lease(1).address].state == leases.RELEASED, "the last line for an address wins"
    assert loaded[lease(2).address] == lease(2), "a lease comes back exactly as written"


def test_torn_last_line_is_cut_off(tmp_path):
    store = LeaseStore(str(tmp_path))
    store.load()
    store.commit([lease(1)])
    with open(tmp_path / "journal", "a") as journal:
        journal.write(leases.to_line(lease(2))[:20])  # the crash came in the middle of a write
    again = LeaseStore(str(tmp_path))
    loaded = again.load()
    assert set(loaded) == {lease(1).address}, "a half-written line was never ACKed: it is dropped"
    again.commit([lease(3)])
    assert set(LeaseStore(str(tmp_path)).load()) == {lease(1).address, lease(3).address}, \
        "a write after the torn line starts on a clean line"


def test_compaction_keeps_everything(tmp_path):
    store = LeaseStore(str(tmp_path), compact_every=3)
    store.load()
    store.commit([lease(n) for n in range(4)])
    assert store.wants_compaction(), "a long journal asks to be compacted"
    store.compact([lease(n) for n in range(4)])
    assert (tmp_path / "journal").stat().st_size == 0, "compaction empties the journal"
    assert len(LeaseStore(str(tmp_path)).load()) == 4, "and the snapshot holds every lease"


def test_crash_between_snapshot_and_journal_truncation(tmp_path):
    store = LeaseStore(str(tmp_path))
    store.load()
    store.commit([lease(1), lease(2)])
    (tmp_path / "snapshot").write_text(leases.to_line(lease(1)) + leases.to_line(lease(2)))
    loaded = LeaseStore(str(tmp_path)).load()
    assert len(loaded) == 2, "replaying the journal over a snapshot that already has it changes nothing"


WRITER = textwrap.dedent("""
    import ipaddress, sys
    from lanlab.dhcp.leases import Lease, LeaseStore
    store = LeaseStore(sys.argv[1]); store.load()
    n = 0
    while True:
        batch = [Lease(ipaddress.IPv4Address(0x0A000000 + n + i), b"c%d" % (n + i), b"", "", 2000000000)
                 for i in range(7)]
        store.commit(batch)
        n += 7
        print(n, flush=True)  # "ACK sent": everything below n is on disk
""")


def test_kill_9_loses_no_acknowledged_lease(tmp_path):
    """A real crash: a writer that says "acked" only after commit() is killed with SIGKILL
    in the middle of its work; every lease it had acked must load again."""
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE,
                              text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    acked = 0
    for line in writer.stdout:
        acked = int(line)
        if acked >= 700:
            break
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    loaded = LeaseStore(str(tmp_path)).load()
    missing = [n for n in range(acked) if ipaddress.IPv4Address(0x0A000000 + n) not in loaded]
    assert acked >= 700 and not missing, f"leases acked before kill -9 were lost: {missing[:5]}"


def test_after_a_crash_no_acked_address_goes_to_another_client(tmp_path):
    store = LeaseStore(str(tmp_path))
    server = Server(small_config(), store.load())
    acked = set()
    for n in range(1, 5):
        ack, outcome = dora(server, n, NOW)
        store.commit(outcome.changes)  # what the loop does before it sends the ACK
        acked.add(ack.yiaddr)
    # crash: the process is gone, no close(), no compaction; a new one starts
    restarted = Server(small_config(), LeaseStore(str(tmp_path)).load())
    new, _ = only_reply(restarted.handle_packet(request(codec.DISCOVER, 50), NOW + 10))
    assert new.yiaddr not in acked, "a new client must not be offered an address ACKed before the crash"
    for n in range(51, 55):
        outcome = restarted.handle_packet(request(codec.REQUEST, n, requested=min(acked)), NOW + 10)
        assert only_reply(outcome)[0].message_type == codec.NAK, "nor be ACKed one by asking for it"
    back, _ = dora(restarted, 1, NOW + 10)
    assert back.yiaddr in acked, "while the client that held it gets it back"


def test_lease_table_prints(tmp_path, capsys):
    store = LeaseStore(str(tmp_path))
    store.load()
    store.commit([Lease(ipaddress.IPv4Address("192.168.7.20"), b"\x00alice", b"\x02" * 6, "alice",
                        int(NOW) + 60)])
    assert leases.main([str(tmp_path)]) == 0, "`make leases` must succeed on a lease directory"
    out = capsys.readouterr().out
    assert "192.168.7.20" in out and "alice" in out and "id:alice" in out, \
        "the table shows address, host name and client"
    assert out.splitlines()[0].split()[:2] == ["address", "host"], "with a header"
