"""Records survive a restart: zone files on disk, serials that only grow, and the TSIG key file."""
import threading
from pathlib import Path

import dns.name
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.update
import pytest

from lanlab.nameserver import keys
from lanlab.nameserver import program
from lanlab.nameserver.config import parse_config

ROOT = Path(__file__).resolve().parents[2]
FORWARD = dns.name.from_text("lab.internal.")


def config_in(tmp_path, env=None):
    text = (ROOT / "dns/lab.toml").read_text()
    text = text.replace("/var/lib/lanlab/dns", str(tmp_path / "records"))
    text = text.replace("/var/lib/lanlab/keys/tsig.key", str(tmp_path / "keys/tsig.key"))
    return parse_config(text, env=env or {})


def start(config):
    """What the dns container does at start, without the sockets."""
    handler, save = program.prepare(config, log=lambda line: None)
    return handler, save


def add(handler, save, name, address):
    update = dns.update.UpdateMessage("lab.internal", keyring=handler.key)
    update.replace(name, 300, "A", address)
    reply = dns.message.from_wire(handler.handle(update.to_wire()), keyring=handler.key, request_mac=update.mac)
    assert reply.rcode() == dns.rcode.NOERROR
    save()


def a_record(handler, name):
    rrset = handler.zones.exact(FORWARD).get(dns.name.from_text(name), dns.rdatatype.A)
    return {r.address for r in rrset} if rrset else set()


def test_records_and_serial_survive_a_restart(tmp_path):
    config = config_in(tmp_path)
    handler, save = start(config)
    add(handler, save, "bob", "192.168.7.101")
    add(handler, save, "carol", "192.168.13.18")
    serial = handler.zones.exact(FORWARD).serial
    again, _ = start(config)
    assert a_record(again, "bob.lab.internal.") == {"192.168.7.101"}, "what DHCP registered must survive a restart"
    assert a_record(again, "carol.lab.internal.") == {"192.168.13.18"}
    assert again.zones.exact(FORWARD).serial == serial, "an unchanged zone keeps its serial across restarts"
    add(again, save, "bob", "192.168.7.102")
    assert again.zones.exact(FORWARD).serial == serial + 1, "and it grows with the next change"


def test_zone_file_is_a_readable_master_file(tmp_path):
    config = config_in(tmp_path)
    handler, save = start(config)
    add(handler, save, "bob", "192.168.7.101")
    text = (tmp_path / "records/lab.internal.zone").read_text()
    assert "bob.lab.internal. 300 IN A 192.168.7.101" in text, "students can read the zone with cat"
    assert text.index(" IN SOA ") < text.index(" IN NS "), "the SOA comes first, as in every zone file"
    assert not list((tmp_path / "records").glob(".*tmp")), "no temporary file is left behind"


def test_moved_configuration_wins_for_fixed_names_and_bumps_the_serial(tmp_path):
    handler, save = start(config_in(tmp_path))
    add(handler, save, "bob", "192.168.7.101")
    serial = handler.zones.exact(FORWARD).serial
    moved, _ = start(config_in(tmp_path, env={"LANLAB_SVC": "10.9.0"}))
    assert a_record(moved, "dns.lab.internal.") == {"10.9.0.3"}, "fixed names come from the configuration"
    assert a_record(moved, "bob.lab.internal.") == {"192.168.7.101"}, "dynamic names come from the file"
    assert moved.zones.exact(FORWARD).serial == serial + 1, "the zone changed, so its serial grew"


def test_damaged_zone_file_starts_the_zone_afresh(tmp_path):
    config = config_in(tmp_path)
    start(config)
    (tmp_path / "records/lab.internal.zone").write_text("this is not a zone file {\n")
    lines = []
    handler, save = program.prepare(config, log=lines.append)
    assert a_record(handler, "dns.lab.internal.") == {"10.0.0.3"}, "a damaged file must not stop the server"
    assert any("unreadable" in line for line in lines), "and it says so in one line"


def test_key_is_made_once_and_read_back(tmp_path):
    path = tmp_path / "keys/tsig.key"
    key, made = keys.ensure_key(path)
    assert made and path.exists(), "the first start makes the key"
    assert oct(path.stat().st_mode & 0o777) == "0o600", "the key is readable by root only"
    again, made_again = keys.ensure_key(path)
    assert not made_again and again.secret == key.secret, "later starts keep it: the DHCP server holds the same"
    assert key.name == dns.name.from_text("lanlab-ddns.") and key.algorithm == dns.tsig.HMAC_SHA256
    assert len(key.secret) == 32, "256 random bits for hmac-sha256"


def test_concurrent_starts_agree_on_one_key(tmp_path):
    path = tmp_path / "keys/tsig.key"
    results = []
    threads = [threading.Thread(target=lambda: results.append(keys.ensure_key(path))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({key.secret for key, _ in results}) == 1, "whoever wins the race, everyone uses the same key"
    assert len(results) == 8 and sum(made for _, made in results) == 1, \
        "exactly one start makes the key, the others read it: two makers would have two keys"
    assert [p.name for p in path.parent.iterdir()] == ["tsig.key"], "no temporary file is left"


def test_key_file_is_bind_format():
    text = keys.render_key_file(secret="c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYg==")
    assert text.startswith('key "lanlab-ddns" {') and "algorithm hmac-sha256;" in text, \
        "nsupdate -k reads BIND's key-file format"
    key = keys.parse_key_file(text)
    assert key.secret == b"secret-secret-secret-secret-32b", "the secret is the base64 in the file"


@pytest.mark.parametrize("text", ["", "key x {};", 'key "x" { algorithm hmac-sha256; };', "garbage"])
def test_unreadable_key_files_raise_one_error(text):
    with pytest.raises(keys.KeyFileError):
        keys.parse_key_file(text)
