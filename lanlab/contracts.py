"""The contracts between lanlab's processes, each declared once here; every side imports
this module, and the shell scripts (nodes/udhcpc.script, nodes/bin/lanlab-health) are
checked against it by tests/unit/test_contracts.py.

Only `os` is imported: every host's one small process loads this.

    the run directory   RUN and the files in it: READY, LEASE, KEEP, CHAT_PAUSE
    the ready line      ready_line() writes it (lanlab.host.ready), READY_WORDS finds it
                        (lanlab.control.watch)
    ports               DHCP (RFC 2131), DNS (RFC 1035), the chat and the file service
    the chat log        CHAT_LOG: the listener writes it, the lessons' checks read it
    volumes             the lease, zone and TSIG key paths (compose.yaml mounts them;
                        dhcp/dhcp.toml and dns/lab.toml name them)
    the DNS domain      DOMAIN: lanlab.topology's plans, both servers' files
    host names          host_label(): the one rule the DHCP server and the DNS update share
    client identifier   client_id_for(): what hosts send, what reservations match
    the image           IMAGE, the one image of every container (Dockerfile); ROLE_LABEL
                        and COMMANDS: each container's role and the program it runs
                        (compose.yaml and lanlab.control.generate write them,
                        lanlab.control.inventory reads the role back)
"""
import os

RUN = os.environ.get("LANLAB_RUN", "/run/lanlab")  # a container's own state (tmpfs)
READY = os.path.join(RUN, "ready")        # exists once the container's start has finished
LEASE = os.path.join(RUN, "lease")        # "ADDRESS/PREFIX ROUTER", by nodes/udhcpc.script
KEEP = os.path.join(RUN, "keep")          # the next deconfig keeps the address
CHAT_PAUSE = os.path.join(RUN, "chat.pause")  # a deadline: the chat listener frees UDP 9090
READY_DIR_VARIABLE = "LANLAB_READY_DIR"   # generated labs: a directory shared with the control

READY_WORDS = "]: ready in "              # what the control looks for in a container's log

DHCP_SERVER_PORT, DHCP_CLIENT_PORT = 67, 68
DNS_PORT = 53
CHAT_PORT = 9090                          # UDP, on every host
CHAT_LOG = "/var/log/lanlab/chat.log"     # the chat listener's lines (the lessons read them)
FILES_PORT = 9090                         # TCP, on the files host

LEASE_DIR = "/var/lib/lanlab/dhcp"        # volume dhcp-leases
RECORDS_DIR = "/var/lib/lanlab/dns"       # volume dns-records
KEY_PATH = "/var/lib/lanlab/keys/tsig.key"  # volume tsig: made by dns, read by dhcp

DOMAIN = "lab.internal"

IMAGE = "lanlab/lab"
ROLE_LABEL = "lanlab.role"
COMMANDS = {
    "router": ["python3", "/opt/lanlab/router/entrypoint.py"],
    "dhcp": ["python3", "/opt/lanlab/dhcp/entrypoint.py"],
    "dns": ["python3", "/opt/lanlab/dns/entrypoint.py"],
    # The image's CMD. One lean process per host: no site (-S); PYTHONPATH names lanlab.
    "host": ["python3", "-S", "/opt/lanlab/nodes/entrypoint.py"],
}

LABEL_MAX = 63                            # RFC 1035 2.3.4
LETTERS_DIGITS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def ready_line(name: str, took: str) -> str:
    """The line a container logs when its start has finished."""
    return f"lanlab[{name}{READY_WORDS}{took} s"


def client_id_for(hostname: str) -> bytes:
    """The stable client identifier (option 61) lab hosts send: type 0 and the host name
    (RFC 2132 9.14), so a host keeps its lease when Docker gives it a new MAC."""
    return b"\x00" + hostname.encode("ascii")


def host_label(name: str) -> str:
    """The DNS label (RFC 1123 2.1: letters, digits, inner hyphens, at most 63) a host
    name becomes: its first label if it is dotted, lower-cased, every other character
    turned into `-`, cut to 63, hyphens trimmed at both ends; "" if nothing is left.
    The DHCP server and the DNS update both use this, so a host is registered under the
    name its lease says ("a_b" -> "a-b")."""
    first = name.strip().split(".")[0].lower()
    label = "".join(c if c in LETTERS_DIGITS else "-" for c in first)
    return label[:LABEL_MAX].strip("-")


def is_label(name: str) -> bool:
    """Is `name` already a host label as host_label() makes them?"""
    return bool(name) and host_label(name) == name
