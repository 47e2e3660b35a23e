"""Everything a mask says about an address, worked out bit by bit.

    python3 subnet.py ADDRESS MASK [OTHER]
"""
import sys


def to_int(dotted):
    a, b, c, d = (int(part) for part in dotted.split("."))
    return a << 24 | b << 16 | c << 8 | d


def to_dotted(number):
    return ".".join(str(number >> shift & 255) for shift in (24, 16, 8, 0))


def address_class(first_octet):
    for name, last in (("A", 127), ("B", 191), ("C", 223), ("D", 239)):
        if first_octet <= last:
            return name
    return "E"


def private(number):
    blocks = (("10.0.0.0", 8), ("172.16.0.0", 12), ("192.168.0.0", 16))
    return any(number >> (32 - bits) == to_int(start) >> (32 - bits) for start, bits in blocks)


address, mask = to_int(sys.argv[1]), to_int(sys.argv[2])
network = address & mask                       # the AND: host bits become 0
broadcast = network | (~mask & 0xFFFFFFFF)     # host bits all 1
host_bits = bin(~mask & 0xFFFFFFFF).count("1")
hosts = 2 ** host_bits - 2 if host_bits >= 2 else 2 ** host_bits
print("network:", to_dotted(network))
print("broadcast:", to_dotted(broadcast))
print("hosts:", hosts)
print("class:", address_class(address >> 24))
print("private:", "yes" if private(address) else "no")
if len(sys.argv) > 3:
    print("same network:", "yes" if to_int(sys.argv[3]) & mask == network else "no")
