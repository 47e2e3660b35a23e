"""The answering logic: request bytes in, reply bytes (or None) out. No I/O.

RFC 1034/1035 queries, EDNS0 (RFC 6891), negative answers (RFC 2308), dynamic UPDATE
(RFC 2136, see update.py) signed with TSIG (RFC 8945). dnspython parses and renders;
this module decides.

    shorter than a header, or a response (QR set)   dropped, one log line
    unknown opcode                                  NOTIMP
    unparseable                                     FORMERR
    qdcount != 1, meta qtype (OPT, TSIG...)         FORMERR
    name outside every zone, class not IN, AXFR     REFUSED (no recursion, no transfers)
    no such name                                    NXDOMAIN, SOA in authority
    name without that type (or an empty non-terminal) NOERROR, no answer, SOA in authority
    EDNS version > 0                                BADVERS
    answer larger than the client's UDP size        TC set, answer left out
    UPDATE unsigned                                 REFUSED
    UPDATE with a bad or unknown TSIG               NOTAUTH, TSIG error BADSIG/BADKEY/BADTIME
    an exception inside the server                  SERVFAIL

The fast path: replies to plain UDP queries are kept in `cache`, keyed by the query's
bytes after the ID; the reply is stored without its ID and the query's ID is put back in
front. The same question in the same bytes always gets the same answer until the zones
change, and every change clears the cache. TSIG-signed queries are never cached.
"""
from __future__ import annotations

import struct
import time
from typing import Callable

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TSIG
import dns.rrset
import dns.tsig
import dns.wire

from lanlab.nameserver import update
from lanlab.nameserver.zones import IN, Zones

OUR_PAYLOAD = 1232          # the EDNS UDP size we offer (DNS flag day 2020)
CACHE_LIMIT = 4096          # cached replies; the cache is emptied when full
HEADER = struct.Struct("!HHHHHH")
QR, RD, CD = 0x8000, 0x0100, 0x0010
CACHEABLE = {dns.rcode.NOERROR, dns.rcode.NXDOMAIN, dns.rcode.REFUSED}
REFUSED_TYPES = {dns.rdatatype.AXFR, dns.rdatatype.IXFR}
NOTIMP_TYPES = {dns.rdatatype.MAILA, dns.rdatatype.MAILB}
TSIG_ERRORS = {  # exception from dnspython's TSIG check -> TSIG error code (RFC 8945 5.2)
    dns.message.UnknownTSIGKey: dns.rcode.BADKEY,
    dns.tsig.BadKey: dns.rcode.BADKEY,
    dns.tsig.BadAlgorithm: dns.rcode.BADKEY,
    dns.tsig.BadSignature: dns.rcode.BADSIG,
    dns.tsig.BadTime: dns.rcode.BADTIME,
}

TSIG_ERROR_NAMES = {dns.rcode.BADSIG: "BADSIG", dns.rcode.BADKEY: "BADKEY", dns.rcode.BADTIME: "BADTIME"}


def header_reply(wire: bytes, rcode: int) -> bytes:
    """A reply that is only a header: the query's ID, opcode and RD, and `rcode`."""
    query_id, flags = struct.unpack_from("!HH", wire)
    return HEADER.pack(query_id, QR | (flags & 0x7800) | (flags & RD) | (rcode & 0xF), 0, 0, 0, 0)


class Nameserver:
    """The pure handler. `handle(wire, tcp)` -> reply bytes or None.

    After an update, `dirty` holds the origins of the zones that changed (the caller
    saves them and empties it). `log` receives one line per notable event."""

    def __init__(self, zones: Zones, key: dns.tsig.Key | None, max_records: int = 10000,
                 log: Callable[[str], None] = lambda line: None):
        self.zones = zones
        self.key = key
        self.max_records = max_records
        self.log = log
        self.cache: dict[bytes, bytes] = {}
        self.dirty: set[dns.name.Name] = set()

    def handle(self, wire: bytes, tcp: bool = False, source: str = "-") -> bytes | None:
        if not tcp:
            hit = self.cache.get(wire[2:])
            if hit is not None:
                return wire[:2] + hit
        try:
            return self.respond(wire, tcp, source)
        except Exception as error:  # a failure inside the server: SERVFAIL, never a crash
            self.log(f"{source}: internal error ({error!r}): SERVFAIL")
            return header_reply(wire, dns.rcode.SERVFAIL)

    def respond(self, wire: bytes, tcp: bool, source: str) -> bytes | None:
        if len(wire) < HEADER.size:
            self.log(f"{source}: {len(wire)} bytes, shorter than a DNS header: dropped")
            return None
        flags = struct.unpack_from("!H", wire, 2)[0]
        if flags & QR:
            self.log(f"{source}: a response, not a query: dropped")
            return None
        opcode = (flags >> 11) & 0xF  # dnspython 2.3 cannot name the unassigned ones
        if opcode not in (dns.opcode.QUERY, dns.opcode.UPDATE):
            self.log(f"{source}: opcode {opcode} not implemented: NOTIMP")
            return header_reply(wire, dns.rcode.NOTIMP)
        try:
            message = dns.message.from_wire(wire, keyring=self.keyring)
        except tuple(TSIG_ERRORS) as error:
            return self.tsig_failure(wire, tsig_error_code(error), source)
        except Exception as error:  # dnspython raises more than FormError on garbage
            self.log(f"{source}: malformed message ({type(error).__name__}: {error}): FORMERR")
            return header_reply(wire, dns.rcode.FORMERR)
        if opcode == dns.opcode.UPDATE:
            return self.update(message, source)
        return self.query(message, wire, tcp, source)

    def keyring(self, message, name: dns.name.Name):
        return self.key if self.key is not None and name == self.key.name else None

    # --- queries --------------------------------------------------------------------

    def query(self, message, wire: bytes, tcp: bool, source: str) -> bytes:
        if len(message.question) != 1:
            self.log(f"{source}: {len(message.question)} questions, not 1: FORMERR")
            return header_reply(wire, dns.rcode.FORMERR)
        response = dns.message.make_response(message, our_payload=OUR_PAYLOAD)
        response.flags |= message.flags & CD
        question = message.question[0]
        if message.edns > 0:
            response.set_rcode(dns.rcode.BADVERS)
        elif question.rdclass != IN or question.rdtype in REFUSED_TYPES:
            response.set_rcode(dns.rcode.REFUSED)
        elif question.rdtype in NOTIMP_TYPES:
            response.set_rcode(dns.rcode.NOTIMP)
        elif dns.rdatatype.is_metatype(question.rdtype) and question.rdtype != dns.rdatatype.ANY:
            self.log(f"{source}: query for meta type {question.rdtype}: FORMERR")
            response.set_rcode(dns.rcode.FORMERR)
        else:
            self.lookup(question.name, question.rdtype, response)
        reply = self.render(response, message, tcp)
        if not tcp and not message.had_tsig and response.rcode() in CACHEABLE:
            if len(self.cache) >= CACHE_LIMIT:
                self.cache.clear()
            self.cache[wire[2:]] = reply[2:]
        return reply

    def lookup(self, name: dns.name.Name, rdtype: int, response) -> None:
        zone = self.zones.find(name)
        if zone is None:
            response.set_rcode(dns.rcode.REFUSED)
            return
        response.flags |= dns.flags.AA
        node = zone.node(name)
        if node is None and not zone.has_below(name):
            response.set_rcode(dns.rcode.NXDOMAIN)
        if node is None:
            response.authority.append(zone.negative_soa())
            return
        found = list(node.values()) if rdtype == dns.rdatatype.ANY else [node[rdtype]] if rdtype in node else []
        if not found:
            response.authority.append(zone.negative_soa())
            return
        response.answer.extend(found)
        self.add_glue(response, found)

    def add_glue(self, response, found) -> None:
        """The addresses of the name servers an NS answer names (RFC 1034 4.3.2 step 6)."""
        for rrset in found:
            if rrset.rdtype != dns.rdatatype.NS:
                continue
            for rdata in rrset:
                zone = self.zones.find(rdata.target)
                address = zone.get(rdata.target, dns.rdatatype.A) if zone else None
                if address is not None and address not in response.additional:
                    response.additional.append(address)

    def render(self, response, query, tcp: bool) -> bytes:
        """Wire form within the size the client can take; TC and no records if too big."""
        if tcp:
            limit = 65535
        elif query.edns >= 0:
            limit = max(512, min(query.payload, OUR_PAYLOAD))
        else:
            limit = 512
        try:
            return response.to_wire(max_size=limit)
        except dns.exception.TooBig:
            for section in (response.answer, response.authority, response.additional):
                section.clear()
            response.flags |= dns.flags.TC
            return response.to_wire(max_size=limit)

    # --- updates --------------------------------------------------------------------

    def update(self, message, source: str) -> bytes:
        response = dns.message.make_response(message)
        zone_name = message.zone[0].name if message.zone else "?"
        if not message.had_tsig:
            self.log(f"{source}: unsigned UPDATE of {zone_name}: REFUSED")
            response.set_rcode(dns.rcode.REFUSED)
            return response.to_wire()
        rcode, zone = update.apply(self.zones, message, self.max_records)
        if zone is not None:
            self.zones.replace(zone)
            self.dirty.add(zone.origin)
            self.cache.clear()
        serial = f", serial {zone.serial}" if zone is not None else ""
        self.log(f"{source}: UPDATE of {zone_name} signed by {message.keyname}: "
                 f"{dns.rcode.to_text(rcode)}{serial}")
        response.set_rcode(rcode)
        return response.to_wire()

    def tsig_failure(self, wire: bytes, error: int, source: str) -> bytes:
        """NOTAUTH with an unsigned TSIG carrying the error (RFC 8945 5.2.1-5.2.3)."""
        try:
            message = dns.message.from_wire(wire, continue_on_error=True)
            keyname, tsig = tsig_record(wire)
        except Exception as failure:
            self.log(f"{source}: malformed signed message ({failure!r}): FORMERR")
            return header_reply(wire, dns.rcode.FORMERR)
        self.log(f"{source}: TSIG check failed for key {keyname} ({TSIG_ERROR_NAMES[error]}): NOTAUTH")
        response = dns.message.make_response(message)
        response.use_edns(False)  # the TSIG must be the last record: no OPT after it
        response.set_rcode(dns.rcode.NOTAUTH)
        rdata = dns.rdtypes.ANY.TSIG.TSIG(
            dns.rdataclass.ANY, dns.rdatatype.TSIG, tsig.algorithm, int(time.time()),
            tsig.fudge, b"", message.id, error, b"")
        response.additional.append(dns.rrset.from_rdata(keyname, 0, rdata))
        return response.to_wire()


def tsig_error_code(error: Exception) -> int:
    return next(code for kind, code in TSIG_ERRORS.items() if isinstance(error, kind))


def tsig_record(wire: bytes):
    """(owner, rdata) of the message's last record, which must be its TSIG."""
    parser = dns.wire.Parser(wire)
    counts = parser.get_struct("!HHHHHH")[2:]
    for _ in range(counts[0]):
        dns.name.from_wire_parser(parser)  # owner names may be compressed
        parser.get_struct("!HH")
    for _ in range(sum(counts[1:]) - 1):
        dns.name.from_wire_parser(parser)
        parser.get_bytes(parser.get_struct("!HHIH")[3])
    owner = dns.name.from_wire_parser(parser)
    rdtype, rdclass, _, rdlen = parser.get_struct("!HHIH")
    if rdtype != dns.rdatatype.TSIG:
        raise dns.exception.FormError("the last record is not a TSIG")
    with parser.restrict_to(rdlen):
        rdata = dns.rdata.from_wire_parser(rdclass, rdtype, parser)
    return owner, rdata
