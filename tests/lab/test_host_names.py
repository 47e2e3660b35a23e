"""One rule for host names (lanlab.contracts.host_label): a client that sends a name DNS
cannot hold (`web_1`) gets the label `web-1`, the DHCP server's log says so, and the
name resolves. Checked with busybox udhcpc (not ours) in a throwaway container; the
lease is released at the end, so the name goes again."""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import dhcp_throwaway as throwaway  # noqa: E402


def script(dns: str) -> str:
    """udhcpc sends host name web_1; once bound, ask the lab's DNS for web-1 until it
    answers with the leased address (the DHCP server's update is asynchronous), then
    release the lease (SIGUSR2) so the record goes."""
    return (throwaway.UDHCPC_SCRIPT + throwaway.interface_lookup() + "\n"
            "busybox udhcpc -f -T 1 -t 20 -i $IF -s /tmp/event -x hostname:web_1 "
            "-x 0x3d:00" + b"web_1-name-test".hex() + " 2>&1 &\n"
            "for i in $(seq 150); do [ -e /tmp/bound ] && break; sleep 0.2; done\n"
            "IP=$(ip -4 -o addr show dev $IF | awk '{print $4}' | cut -d/ -f1)\n"
            "for i in $(seq 50); do\n"
            f"  A=$(dig +short +time=1 +tries=1 web-1.lab.internal @{dns})\n"
            "  [ \"$A\" = \"$IP\" ] && break; sleep 0.2\n"
            "done\n"
            "echo \"resolved web-1 to $A, leased $IP\"\n"
            "kill -USR2 $!; sleep 1; kill $!")


def test_a_host_name_with_an_underscore_is_registered_as_a_label(lab, plan):
    since = int(time.time()) - 1
    result = throwaway.run(lab, "lan-a", script(str(plan.dns)))
    fields = throwaway.bound_fields(result.out)
    assert fields, f"udhcpc got no lease: {result.out[-500:]}"
    assert f"resolved web-1 to {fields['ip']}, leased {fields['ip']}" in result.out, \
        f"a client that sends web_1 must be found as web-1 (not dropped by DNS): {result.out[-500:]}"
    log = lab.container("dhcp").logs(since=since).decode(errors="replace")
    assert "'web_1' is not a DNS label: 'web-1' is used" in log, \
        "the DHCP server's log must say which name the host got"
