"""`make link` without Docker: its values, its command line to the nodes, its record and
its table (lanlab/link/conditions.py, lanlab/control/links.py)."""
import pytest

from lanlab.control import links
from lanlab.control.errors import LabError
from lanlab.link import conditions as cond


@pytest.mark.parametrize("text, ms", [("50ms", 50), ("50", 50), ("0.5s", 500), ("500us", 0.5), ("10000ms", 10000)])
def test_delays(text, ms):
    assert cond.parse_delay(text) == pytest.approx(ms), f"{text} is {ms} ms"


@pytest.mark.parametrize("text", ["soon", "-5ms", "11s", "5 minutes", ""])
def test_bad_delays_say_what_to_write(text):
    with pytest.raises(ValueError, match="e.g. DELAY=50ms"):
        cond.parse_delay(text)


def test_loss_and_rate():
    assert cond.parse_loss("20%") == pytest.approx(0.2) and cond.parse_loss("5") == pytest.approx(0.05)
    assert cond.parse_rate("10MBit") == "10mbit", "tc's units, lower case"
    assert cond.rate_bits("10mbit") == 10e6 and cond.rate_bits("1.5kbit") == 1500
    for bad, name in (("120%", "LOSS"), ("-1%", "LOSS")):
        with pytest.raises(ValueError, match=name):
            cond.parse_loss(bad)
    for bad in ("fast", "10", "0mbit", "10mbps"):
        with pytest.raises(ValueError, match="RATE"):
            cond.parse_rate(bad)


def test_conditions_travel_to_the_node_and_back():
    wanted = cond.Conditions(delay_ms=50, loss=0.05, rate="10mbit", down=True)
    assert wanted.to_args() == ["--delay-ms", "50", "--loss", "0.05", "--rate", "10mbit", "--down"]
    assert cond.from_args(wanted.to_args()) == wanted, "lanlab.link.apply reads what links.py writes"
    assert cond.from_args([]) == cond.Conditions() and cond.Conditions().clear, "no option clears"
    assert wanted.describe() == "delay 50ms, loss 5%, rate 10mbit, DOWN"
    with pytest.raises(ValueError):
        cond.from_args(["--jitter", "5"])


def test_make_link_arguments():
    request = links.parse(["--net", "lan-b", "--delay", "50ms", "--node", "carol", "--clear", "--hub", "1"])
    assert request == links.Request(net="lan-b", node="carol", delay="50ms", clear=True, hub="1")
    assert links.Request(net="x", loss="20%", up=True).changes() == {"loss": 0.2, "down": False}, \
        "UP changes only DOWN; the other values are kept"
    with pytest.raises(LabError, match="say one"):
        links.parse(["--down", "--up"])
    with pytest.raises(LabError, match="unknown argument"):
        links.parse(["--jitter", "5ms"])


LAN_B = links.LinkNetwork("lan-b", "172.26.13.0/24", "br-0123456789ab", "switch",
                          {"carol": "c" * 64, "files": "f" * 64, "router": "r" * 64})


def record_of(**conditions) -> dict:
    return {"lan-b": {node: {"container": LAN_B.members[node], "conditions": c.to_dict()}
                      for node, c in conditions.items()}}


def test_a_record_for_containers_that_are_gone_is_ignored():
    record = record_of(carol=cond.Conditions(delay_ms=20))
    record["lan-b"]["files"] = {"container": "0" * 64, "conditions": cond.Conditions(loss=0.5).to_dict()}
    assert links.current(record, LAN_B) == {"carol": cond.Conditions(delay_ms=20)}, \
        "files was recreated since: its old conditions went with its old container"


def test_table_says_one_line_per_network(tmp_path, monkeypatch):
    monkeypatch.setattr(links, "BUILD", tmp_path)
    same = cond.Conditions(delay_ms=50, rate="10mbit")
    links.save("lk", record_of(carol=same, files=same, router=same))
    assert links.table("lk", {"lan-b": LAN_B}).splitlines()[1].split(None, 3) == \
        ["lan-b", "172.26.13.0/24", "switch", "delay 50ms, rate 10mbit"], "every member alike: said once"
    links.save("lk", record_of(carol=cond.Conditions(loss=0.05)))
    assert links.table("lk", {"lan-b": LAN_B}).endswith("carol: loss 5%"), "NODE=carol: said per node"
    links.forget("lk")
    assert links.table("lk", {"lan-b": LAN_B}).endswith("clear"), "`make down` forgets the record"


def test_the_web_view_reads_each_networks_conditions(tmp_path, monkeypatch):
    monkeypatch.setattr(links, "BUILD", tmp_path)
    monkeypatch.setattr(links, "networks_of", lambda lab: {"lan-b": LAN_B})
    links.save("lk", record_of(carol=cond.Conditions(delay_ms=50)))
    assert links.conditions_of("lk", lab=None) == {"lan-b": "carol: delay 50ms"}, \
        "the view's links panel says what `make link` set, in the same words as `make link`"
