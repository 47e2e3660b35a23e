"""`ipcalc`: what an address and a mask mean (RFC 791 classes, RFC 950 masks,
RFC 1918 private ranges, RFC 3927 link-local, RFC 1122 special addresses, RFC 3021 /31).

    ipcalc 192.168.7.20/24
    ipcalc 192.168.7.20 255.255.255.0
    ipcalc 192.168.7.20 /16
    ipcalc 10.1.2.3            (no mask: the class's default mask, said so)

The network address is the address AND the mask; the broadcast address is the network
OR the wildcard (the inverted mask). `describe` does the arithmetic with no I/O; `main`
prints it, or one line on stderr and exit status 2 for input it cannot read.
"""
from __future__ import annotations

import ipaddress
import sys
from dataclasses import dataclass

CLASSES = (  # (class, first octet range, default prefix or None, what it is for)
    ("A", range(0, 128), 8, "unicast, large networks"),
    ("B", range(128, 192), 16, "unicast, medium networks"),
    ("C", range(192, 224), 24, "unicast, small networks"),
    ("D", range(224, 240), None, "multicast"),
    ("E", range(240, 256), None, "reserved (experimental)"),
)

KINDS = (  # most specific first; the first match names the address
    ("255.255.255.255/32", "limited broadcast (RFC 919)"),
    ("0.0.0.0/32", "this host, unspecified (RFC 1122)"),
    ("0.0.0.0/8", "this network (RFC 1122)"),
    ("127.0.0.0/8", "loopback (RFC 1122)"),
    ("169.254.0.0/16", "link-local (RFC 3927)"),
    ("10.0.0.0/8", "private (RFC 1918, 10.0.0.0/8)"),
    ("172.16.0.0/12", "private (RFC 1918, 172.16.0.0/12)"),
    ("192.168.0.0/16", "private (RFC 1918, 192.168.0.0/16)"),
    ("100.64.0.0/10", "shared address space, carrier-grade NAT (RFC 6598)"),
    ("192.0.2.0/24", "documentation (RFC 5737)"),
    ("198.51.100.0/24", "documentation (RFC 5737)"),
    ("203.0.113.0/24", "documentation (RFC 5737)"),
    ("198.18.0.0/15", "benchmarking (RFC 2544)"),
    ("224.0.0.0/4", "multicast (RFC 5771)"),
    ("240.0.0.0/4", "reserved (RFC 1112)"),
)


class IpcalcError(ValueError):
    """Input that is not an address and a mask; the message says what was wrong."""


@dataclass(frozen=True)
class Result:
    address: ipaddress.IPv4Address
    network: ipaddress.IPv4Network
    mask_given: bool
    address_class: str
    class_use: str
    kind: str

    @property
    def prefixlen(self) -> int:
        return self.network.prefixlen

    @property
    def netmask(self) -> ipaddress.IPv4Address:
        return self.network.netmask

    @property
    def wildcard(self) -> ipaddress.IPv4Address:
        return self.network.hostmask

    @property
    def broadcast(self) -> ipaddress.IPv4Address | None:
        return self.network.broadcast_address if self.prefixlen <= 30 else None

    @property
    def host_count(self) -> int:
        if self.prefixlen == 32:
            return 1
        if self.prefixlen == 31:
            return 2  # RFC 3021: a point-to-point link, both addresses usable
        return self.network.num_addresses - 2

    @property
    def first_host(self) -> ipaddress.IPv4Address:
        return self.network[0] if self.prefixlen >= 31 else self.network[1]

    @property
    def last_host(self) -> ipaddress.IPv4Address:
        return self.network[-1] if self.prefixlen >= 31 else self.network[-2]

    @property
    def role_in_network(self) -> str:
        if self.prefixlen <= 30 and self.address == self.network.network_address:
            return "the network address itself (not a host)"
        if self.prefixlen <= 30 and self.address == self.network.broadcast_address:
            return "the network's broadcast address (not a host)"
        return "a host address"


def parse_address(text: str) -> ipaddress.IPv4Address:
    try:
        return ipaddress.IPv4Address(text.strip())
    except ValueError:
        raise IpcalcError(f"{text!r} is not an IPv4 address (four numbers 0-255, e.g. 192.168.7.20)") from None


def parse_mask(text: str) -> int:
    """'/24', '24' or '255.255.255.0' -> 24. Non-contiguous masks are refused."""
    text = text.strip().lstrip("/")
    if text.isdigit():
        prefix = int(text)
        if prefix > 32:
            raise IpcalcError(f"/{prefix} is not a mask length (0 to 32)")
        return prefix
    mask = parse_address(text) if text.count(".") == 3 else None
    if mask is None:
        raise IpcalcError(f"{text!r} is not a mask (write /24 or 255.255.255.0)")
    bits = int(mask)
    inverted = bits ^ 0xFFFFFFFF
    if inverted & (inverted + 1):
        raise IpcalcError(f"{mask} is not a valid mask: its one-bits must be contiguous from the left")
    return 32 - inverted.bit_length()


def classify(address: ipaddress.IPv4Address) -> tuple[str, int | None, str]:
    first = int(address) >> 24
    for name, octets, default, use in CLASSES:
        if first in octets:
            return name, default, use
    raise AssertionError("every first octet has a class")


def kind_of(address: ipaddress.IPv4Address) -> str:
    for network, kind in KINDS:
        if address in ipaddress.IPv4Network(network):
            return kind
    return "public (globally routable)"


def split_input(args: list[str]) -> tuple[str, str | None]:
    if not args or len(args) > 2:
        raise IpcalcError("usage: ipcalc ADDRESS[/MASK] [MASK]   e.g. ipcalc 192.168.7.20/24")
    if len(args) == 2:
        if "/" in args[0]:
            raise IpcalcError("give the mask once: ADDRESS/MASK or ADDRESS MASK")
        return args[0], args[1]
    address, _, mask = args[0].partition("/")
    return address, (mask or None)


def describe(address_text: str, mask_text: str | None = None) -> Result:
    """describe('192.168.7.20/24'), describe('192.168.7.20', '255.255.255.0') or no mask."""
    if mask_text is None and "/" in address_text:
        address_text, mask_text = address_text.split("/", 1)
    address = parse_address(address_text)
    name, default, use = classify(address)
    if mask_text is None:
        if default is None:
            raise IpcalcError(f"class {name} ({use}) has no default mask; give one, e.g. {address}/32")
        prefix = default
    else:
        prefix = parse_mask(mask_text)
    network = ipaddress.IPv4Network(f"{address}/{prefix}", strict=False)
    return Result(address, network, mask_text is not None, name, use, kind_of(address))


def class_line(result: Result) -> str:
    _, default, _ = classify(result.address)
    if default is None:
        return f"{result.address_class} ({result.class_use})"
    hosts = 2 ** (32 - default) - 2
    return f"{result.address_class} ({result.class_use}; default mask /{default}, {hosts:,} hosts per network)"


def render(result: Result) -> str:
    mask_note = "" if result.mask_given else f"   (no mask given: class {result.address_class} default)"
    rows = [
        ("Address", f"{result.address}"),
        ("Netmask", f"{result.netmask} = /{result.prefixlen}{mask_note}"),
        ("Wildcard", f"{result.wildcard}"),
        ("Network", f"{result.network.network_address}/{result.prefixlen}   (address AND mask)"),
        ("Broadcast", f"{result.broadcast}" if result.broadcast else "none (/31 and /32 have no broadcast)"),
        ("HostMin", f"{result.first_host}"),
        ("HostMax", f"{result.last_host}"),
        ("Hosts", f"{result.host_count:,}"),
        ("Class", class_line(result)),
        ("Kind", result.kind),
        ("Role", result.role_in_network),
    ]
    return "\n".join(f"{label + ':':<11}{value}" for label, value in rows)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("-h", "--help"):
        print(__doc__.strip().split("\n\n")[1])
        return 0
    try:
        print(render(describe(*split_input(args))))
    except IpcalcError as error:
        print(f"ipcalc: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
