"""lanlab.host.program and its DHCP boot (lanlab/host/dhcp_client.py): what every lab host runs.
No Docker needed."""
import os
import subprocess
import sys
import time

import pytest

from lanlab.host import program as hostd
from lanlab.host import dhcp_client as client

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEAVY = ("ipaddress", "subprocess", "pathlib", "dataclasses", "json", "typing", "argparse")


def lean_env() -> dict:
    return {**os.environ, "PYTHONPATH": ROOT}


def test_a_host_imports_nothing_heavy():
    """Every host of a 200-host lab starts this process at once and keeps it: each module
    here costs 200 times, in CPU at the start and in memory after."""
    code = ("import sys, lanlab.host.program, lanlab.chat.program, lanlab.host.dhcp_client; "
            "print(' '.join(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-S", "-c", code], env=lean_env(), capture_output=True,
                         text=True, check=True).stdout.split()
    loaded = [name for name in HEAVY if name in out]
    assert loaded == [], f"a host must not import {loaded}: they cost every host CPU and memory"


@pytest.mark.parametrize("subnet, address, inside", [
    ("192.168.7.0/24", "192.168.7.20", True),
    ("192.168.7.0/24", "192.168.13.18", False),
    ("192.168.0.0/16", "192.168.13.18", True),     # the course's masking example
    ("10.100.3.0/24", "10.100.30.1", False),
])
def test_the_interface_is_chosen_by_subnet(subnet, address, inside):
    network, length = client.parse_subnet(subnet)
    assert client.inside(client.to_int(address), network, length) is inside, \
        f"{address} is {'' if inside else 'not '}in {subnet}: the AND of address and mask decides"


def test_the_probe_goes_to_the_subnet_broadcast():
    assert client.broadcast(*client.parse_subnet("192.168.7.0/24")) == "192.168.7.255"
    assert client.broadcast(*client.parse_subnet("10.100.0.0/16")) == "10.100.255.255", \
        "the broadcast is the network OR the inverted mask"


@pytest.mark.parametrize("text", ["192.168.7.0", "192.168.7.0/33", "nonsense/24", ""])
def test_a_bad_subnet_is_one_clear_error(text):
    with pytest.raises(client.BootError, match="is not an IPv4 subnet"):
        client.parse_subnet(text)


def test_the_lease_file_is_read_as_the_script_writes_it():
    assert client.parse_lease("192.168.7.20/24 192.168.7.1\n") == ("192.168.7.20/24", "192.168.7.1")
    assert client.parse_lease("") is None, "no file content yet means no lease yet"
    assert client.parse_lease("garbage") is None, "a half-written line is not a lease"


def test_udhcpc_asks_with_the_host_name_and_a_stable_client_id():
    argv = client.udhcpc_argv("eth0", "alice")
    assert argv[:2] == ["busybox", "udhcpc"] and "-i" in argv and argv[argv.index("-i") + 1] == "eth0"
    assert "hostname:alice" in argv, "option 12: reservations and DNS names go by host name"
    assert "0x3d:00616c696365" in argv, "option 61: type 0 + the name, so a new MAC keeps the address"


def test_the_loopback_interface_is_never_the_lab_interface():
    assert "lo" not in client.interface_addresses(), "loopback is on no lab subnet"


def test_run_reports_the_exit_status_and_keeps_the_log_clean(capfd):
    assert client.run(["sh", "-c", "echo noise; echo more >&2; exit 3"]) == 3
    out, err = capfd.readouterr()
    assert "noise" not in out and "more" not in err, "ping's chatter must not fill the host's log"


def test_udhcpc_is_started_again_when_it_exits(tmp_path):
    """The host keeps its lease only while udhcpc runs: if it dies, it must come back."""
    marker = tmp_path / "runs"
    script = tmp_path / "fake-udhcpc"
    script.write_text(f"#!/bin/sh\necho run >> {marker}\nexit 3\n")
    script.chmod(0o755)
    code = ("import os; from lanlab.host import program as hostd\n"
            f"pid = os.posix_spawnp({str(script)!r}, [{str(script)!r}], os.environ)\n"
            f"hostd.keep_running(pid, [{str(script)!r}], pause=0.05)\n")
    env = {**lean_env(), "LANLAB_RUN": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (not marker.exists() or len(marker.read_text().split()) < 3):
        time.sleep(0.05)
    proc.kill()
    err = proc.communicate()[1]
    assert len(marker.read_text().split()) >= 3, "udhcpc was not started again after it exited"
    assert "udhcpc exited (3); starting it again" in err, "each restart says why in the container's log"


def test_a_client_started_again_asks_for_the_held_address(tmp_path, monkeypatch):
    monkeypatch.setattr(client, "LEASE", str(tmp_path / "lease"))
    monkeypatch.setattr(client, "KEEP", str(tmp_path / "keep"))
    argv = client.udhcpc_argv("eth0", "bob")
    assert client.again_argv(argv) == argv and not (tmp_path / "keep").exists(), \
        "with no lease held, the new udhcpc starts afresh (its deconfig may flush)"
    (tmp_path / "lease").write_text("192.168.7.100/24 192.168.7.1\n")
    assert client.again_argv(argv) == argv + ["-r", "192.168.7.100"], \
        "with a lease held, the new udhcpc asks for that address (-r)"
    assert (tmp_path / "keep").exists(), "and the script is told to keep the address meanwhile"


def run_script(tmp_path, event: str, **lease) -> str:
    """nodes/udhcpc.script with a fake `ip` that logs its arguments (and a batch's
    commands) and shows `held` as the interface's addresses; returns that log."""
    fake = tmp_path / "bin"
    fake.mkdir(exist_ok=True)
    held = lease.pop("held", "")
    (fake / "ip").write_text(f"#!/bin/sh\necho \"$@\" >> {tmp_path}/ip.log\n"
                             f"[ \"$2\" = -batch ] && cat >> {tmp_path}/ip.log\n"
                             f"[ \"$3\" = addr ] && echo '{held}'\nexit 0\n")
    (fake / "ip").chmod(0o755)
    env = {"PATH": f"{fake}:/usr/bin:/bin", "LANLAB_RUN": str(tmp_path), "interface": "eth0",
           "LANLAB_RESOLV_CONF": str(tmp_path / "resolv.conf"), **lease}
    subprocess.run(["sh", os.path.join(ROOT, "nodes", "udhcpc.script"), event], env=env, check=True,
                   capture_output=True)
    log = tmp_path / "ip.log"
    return log.read_text() if log.exists() else ""


def test_the_script_keeps_the_address_once_when_told(tmp_path):
    (tmp_path / "lease").write_text("192.168.7.100/24 192.168.7.1\n")
    (tmp_path / "keep").touch()
    assert "flush" not in run_script(tmp_path, "deconfig"), "a restarted client's first deconfig keeps the address"
    assert (tmp_path / "lease").exists() and not (tmp_path / "keep").exists(), "only once: the marker is used up"
    assert "-4 addr flush dev eth0" in run_script(tmp_path, "deconfig"), \
        "any later deconfig (lease lost, NAK) removes the address, as udhcpc means it to"
    assert not (tmp_path / "lease").exists(), "and says no lease is held"


def test_a_deconfig_with_no_lease_set_runs_nothing(tmp_path):
    assert run_script(tmp_path, "deconfig") == "", \
        "at a host's start no lease was set: Docker's address goes at bound, no `ip` needed"


BOUND = {"ip": "192.168.7.100", "mask": "24", "router": "192.168.7.1", "dns": "10.0.0.3",
         "domain": "lab.internal", "lease": "3600"}


def test_bound_sets_address_route_and_resolver_in_one_batch(tmp_path):
    log = run_script(tmp_path, "bound", **BOUND)
    assert log.count("\n") == 5 and "-4 -batch -" in log, f"one `ip` to look, one batch to change:\n{log}"
    assert "addr flush dev eth0\naddr add 192.168.7.100/24 broadcast + dev eth0\n" in log, \
        "the lease becomes the interface's only address (Docker's goes)"
    assert "route replace default via 192.168.7.1 dev eth0" in log, "option 3 is the default route"
    assert (tmp_path / "resolv.conf").read_text() == "search lab.internal\nnameserver 10.0.0.3\n"
    assert client.parse_lease((tmp_path / "lease").read_text()) == ("192.168.7.100/24", "192.168.7.1")


def test_a_renewal_of_the_held_address_does_not_touch_it(tmp_path):
    log = run_script(tmp_path, "renew", held="2: eth0    inet 192.168.7.100/24 brd 192.168.7.255 scope global eth0",
                     **BOUND)
    assert "flush" not in log, f"flushing the held address would break the host's connections:\n{log}"
    assert "route replace default via 192.168.7.1" in log


def test_a_host_without_its_subnet_says_so(monkeypatch, capsys):
    monkeypatch.delenv("LANLAB_SUBNET", raising=False)
    monkeypatch.setattr(hostd.ready, "READY", "/nonexistent-lanlab-test/ready")
    assert hostd.main() == 1, "a host that cannot boot exits non-zero (make up then shows its log)"
    assert "LANLAB_SUBNET is not set" in capsys.readouterr().err
