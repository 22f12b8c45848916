"""A real DNS server on 127.0.0.1 for tests: dnslib in-process, UDP and TCP on one ephemeral port.

Nothing leaves the machine: point the bot at it with `dns_server.settings()` (a `DNSSettings`
whose nameservers is ["127.0.0.1:PORT"]) and every lookup — blacklists, SPF, MX, DMARC, PTR —
is answered from `dns_server.world`, a plain in-memory table you can change at test time.

Use it from any test package by importing the fixture into that package's conftest.py:

    from tests.servers.dns import dns_server  # noqa: F401  (re-exported pytest fixture)

    def test_listed(dns_server):
        dns_server.world.add("99.2.0.192.bl.example.test", "A", "127.0.0.2")
        dns_server.world.add("example.org", "TXT", "v=spf1 ip4:192.0.2.1 -all")
        dns_server.world.rule("broken.test", Behaviour.SERVFAIL)    # every name under broken.test
        dns_server.world.rule("lists-all.test", Behaviour.WILDCARD, a="127.0.0.2")
        dns_server.world.delay = 0.2                                 # every answer 200 ms late
        settings = Settings(dns=dns_server.settings(timeout="1s"))
        ...
        assert ("example.org", "TXT") in dns_server.world.queries

`World` API: `add(name, type, *values, ttl=300)` (A, AAAA, TXT, MX "10 host", PTR, CNAME; values
append), `remove(name, type=None)`, `list_ip(ip, zone, *codes, txt=)`, `list_domain(...)`,
`rule(suffix, behaviour, a=..., txt=...)` with `Behaviour` SERVFAIL / REFUSED / NXDOMAIN / DROP
(never answers) / WILDCARD (answers every name); the longest matching suffix wins and `rule("", ...)`
matches every name (a broken resolver); `refuse_like_spamhaus(zone)` (127.255.255.254 for
everything, as behind a public resolver), `delay` (seconds before each answer; `delays[suffix]`
per zone), `queries` (every (name, type) asked) and `asked(suffix)`.
`start_dns_server(world)` / `.stop()` run one outside pytest (bench/dnsbl_fanout.py does).
Negative answers carry an SOA so resolvers cache them as real servers' would.

The default world (`default_world()`, fresh for every test) serves the bot's real catalogue
names (IP_ZONES / DOMAIN_ZONES: the lists `bot.blocklists` queries by default, plus their DQS
names) — safe, as the resolver only ever talks to this server:
- every IP list lists its RFC 5782 probe 127.0.0.2 (not 127.0.0.1); every domain list lists `test`;
- LISTED_IP 192.0.2.99: ZEN .2 and .10 with TXT, SpamCop .2 with TXT, UCEPROTECT L2 (info);
  PBL_IP 192.0.2.77: ZEN .11; LISTED_IP6 2001:db8::99 and MAPPED_IP6 ::ffff:192.0.2.98 (as 192.0.2.98): ZEN .3
  (32-nibble names); CLEAN_IP 192.0.2.1 and every other address: not listed;
- LISTED_DOMAIN spammy.example: DBL 127.0.1.2, URIBL 127.0.0.6 (black+grey), SURBL 127.0.0.80;
- DQS_KEY "testdqskey0": `<key>.zen.dq.spamhaus.net` and `<key>.dbl.dq.spamhaus.net` probes,
  and DQS_LISTED_IP 192.0.2.55 listed there only;
- extra zones for config overrides: DEAD_ZONE (lists everything), SERVFAIL_ZONE, REFUSED_ZONE,
  SILENT_ZONE (never answers), EMPTY_ZONE (lists nothing, not even its test entry);
- SPF_DOMAIN example.com: SPF with ip4, an include chain (two levels), mx and a:, a /24 range;
  MX mx1.example.com (A+AAAA); DMARC p=none with rua; PTR for 192.0.2.10;
  BARE_DOMAIN nospf.example.org: an A record and nothing else (no SPF, MX or DMARC).
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

import pytest
from dnslib import AAAA, CNAME, MX, PTR, QTYPE, RCODE, RR, SOA, TXT, A, DNSRecord
from dnslib.dns import DNSError as DnslibError
from dnslib.server import DNSHandler, TCPServer, UDPServer

from bot.blocklists import Blocklist, Reading, ZoneType, queried_by_default
from bot.config import DNSSettings

CLEAN_IP = "192.0.2.1"
LISTED_IP = "192.0.2.99"
PBL_IP = "192.0.2.77"
LISTED_IP6 = "2001:db8::99"
MAPPED_IP6 = "::ffff:192.0.2.98"
DQS_KEY = "testdqskey0"
DQS_LISTED_IP = "192.0.2.55"
LISTED_DOMAIN = "spammy.example"
SPF_DOMAIN = "example.com"
BARE_DOMAIN = "nospf.example.org"
DEAD_ZONE = "dead.dnsbl.test"
SERVFAIL_ZONE = "servfail.dnsbl.test"
REFUSED_ZONE = "refused.dnsbl.test"
SILENT_ZONE = "silent.dnsbl.test"
EMPTY_ZONE = "empty.dnsbl.test"


def _test_entry_answer(entry: Blocklist) -> str:
    """What a domain list's `test` entry answers: its first listing code, or its spam bit (URIBL 2, SURBL 64)."""
    listing = next((code.match for code in entry.codes if code.reading is Reading.LISTED), "")
    return listing or f"127.0.0.{next(bit for bit, meaning in entry.bits if 'spam' in meaning)}"


# The zones the bot queries by default, from the catalogue, plus their DQS names under DQS_KEY.
_QUERIED = queried_by_default()
IP_ZONES = (*(entry.zone for entry in _QUERIED if entry.type is ZoneType.IP),
            *(f"{DQS_KEY}.{entry.dqs_zone}" for entry in _QUERIED if entry.type is ZoneType.IP and entry.dqs_zone))
DOMAIN_ZONES = {**{entry.zone: _test_entry_answer(entry) for entry in _QUERIED if entry.type is ZoneType.DOMAIN},
                **{f"{DQS_KEY}.{entry.dqs_zone}": _test_entry_answer(entry)
                   for entry in _QUERIED if entry.type is ZoneType.DOMAIN and entry.dqs_zone}}

# (target, zone, answers, txt): the listings of the default world.
LISTINGS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    (LISTED_IP, "zen.spamhaus.org", ("127.0.0.2", "127.0.0.10"), "https://check.spamhaus.org/sbl/query/SBL0001"),
    (LISTED_IP, "bl.spamcop.net", ("127.0.0.2",), f"Blocked - see https://www.spamcop.net/bl.shtml?{LISTED_IP}"),
    (LISTED_IP, "dnsbl-2.uceprotect.net", ("127.0.0.2",), "Net 192.0.2.0/24 is UCEPROTECT-Level2 listed"),
    (PBL_IP, "zen.spamhaus.org", ("127.0.0.11",), "https://check.spamhaus.org/pbl/query/PBL0001"),
    (LISTED_IP6, "zen.spamhaus.org", ("127.0.0.3",), "CSS listing"),
    # an IPv4 list names the IPv4 address an IPv4-mapped one stands for
    ("192.0.2.98", "zen.spamhaus.org", ("127.0.0.3",), "CSS listing (mapped)"),
    (DQS_LISTED_IP, f"{DQS_KEY}.zen.dq.spamhaus.net", ("127.0.0.4",), "XBL via DQS"),
    (LISTED_DOMAIN, "dbl.spamhaus.org", ("127.0.1.2",), "https://check.spamhaus.org/dbl/query/spammy.example"),
    (LISTED_DOMAIN, "multi.uribl.com", ("127.0.0.6",), "black and grey"),
    (LISTED_DOMAIN, "multi.surbl.org", ("127.0.0.80",), "MW and ABUSE"),
)

# name, type, values: the mail domains of the default world.
MAIL_RECORDS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (SPF_DOMAIN, "TXT", ("v=spf1 ip4:192.0.2.10 ip4:203.0.113.0/24 include:_spf.example.net mx a:out.example.com -all",
                         "google-site-verification=abc")),
    ("_spf.example.net", "TXT", ("v=spf1 ip4:198.51.100.7 ip6:2001:db8::25 include:_spf2.example.net ~all",)),
    ("_spf2.example.net", "TXT", ("v=spf1 ip4:198.51.100.8 -all",)),
    (SPF_DOMAIN, "MX", ("10 mx1.example.com",)),
    (SPF_DOMAIN, "A", ("192.0.2.80",)),
    ("mx1.example.com", "A", ("192.0.2.20",)),
    ("mx1.example.com", "AAAA", ("2001:db8::20",)),
    ("out.example.com", "A", ("192.0.2.30",)),
    (f"_dmarc.{SPF_DOMAIN}", "TXT", ("v=DMARC1; p=none; rua=mailto:dmarc@example.com",)),
    ("10.2.0.192.in-addr.arpa", "PTR", ("mail.example.com",)),
    ("99.2.0.192.in-addr.arpa", "PTR", ("spam.example.net",)),
    (BARE_DOMAIN, "A", ("192.0.2.50",)),
)


class Behaviour(StrEnum):
    SERVFAIL = "servfail"
    REFUSED = "refused"
    NXDOMAIN = "nxdomain"
    DROP = "drop"  # never answers: the client times out
    WILDCARD = "wildcard"  # answers every name under the suffix (a dead list, a refusing list)


@dataclass(slots=True)
class Rule:
    behaviour: Behaviour
    a: str = "127.0.0.2"
    txt: str = ""


def reverse(ip: str) -> str:
    """RFC 5782 labels (IPv4 octets, IPv6 32 nibbles), written independently of the bot's code."""
    address = ipaddress.ip_address(ip)
    if address.version == 4:
        return ".".join(reversed(ip.split(".")))
    return ".".join(reversed(address.exploded.replace(":", "")))


@dataclass(slots=True)
class World:
    """What the server answers; safe to change while it runs."""

    records: dict[tuple[str, str], list[tuple[str, int]]] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)
    delay: float = 0.0
    delays: dict[str, float] = field(default_factory=dict)
    queries: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, rtype: str, *values: str, ttl: int = 300) -> None:
        key = (_norm(name), rtype.upper())
        with self.lock:
            self.records.setdefault(key, []).extend((v, ttl) for v in values)

    def remove(self, name: str, rtype: str | None = None) -> None:
        with self.lock:
            for key in [k for k in self.records if k[0] == _norm(name) and rtype in (None, k[1])]:
                del self.records[key]

    def rule(self, suffix: str, behaviour: Behaviour, *, a: str = "127.0.0.2", txt: str = "") -> None:
        self.rules[_norm(suffix)] = Rule(behaviour=behaviour, a=a, txt=txt)

    def refuse_like_spamhaus(self, zone: str = "zen.spamhaus.org") -> None:
        """Answer every name under `zone` as Spamhaus answers a public resolver (127.255.255.254)."""
        self.rule(zone, Behaviour.WILDCARD, a="127.255.255.254",
                  txt="Error: open resolver; https://check.spamhaus.org/returnc/pub/203.0.113.9/")

    def list_ip(self, ip: str, zone: str, *answers: str, txt: str = "") -> None:
        self._list(f"{reverse(ip)}.{zone}", answers, txt)

    def list_domain(self, domain: str, zone: str, *answers: str, txt: str = "") -> None:
        self._list(f"{domain}.{zone}", answers, txt)

    def _list(self, name: str, answers: tuple[str, ...], txt: str) -> None:
        self.add(name, "A", *answers)
        if txt:
            self.add(name, "TXT", txt)

    def asked(self, suffix: str) -> list[tuple[str, str]]:
        """Queries for names under `suffix`."""
        return [q for q in self.queries if _under(q[0], _norm(suffix))]

    def _matching(self, table: dict[str, Any], name: str) -> Any:
        hits = [s for s in table if _under(name, s)]
        return table[max(hits, key=len)] if hits else None


def _norm(name: str) -> str:
    return name.lower().rstrip(".")


def _under(name: str, suffix: str) -> bool:
    return not suffix or name == suffix or name.endswith("." + suffix)  # "" is every name: rule("", ...)


def default_world() -> World:
    world = World()
    for zone in IP_ZONES:
        world.list_ip("127.0.0.2", zone, "127.0.0.2", txt="RFC 5782 test entry")
    world.add(f"2.0.0.127.{IP_ZONES[0]}", "A", "127.0.0.4", "127.0.0.10")
    for zone, code in DOMAIN_ZONES.items():
        world.list_domain("test", zone, code, txt="RFC 5782 test entry")
    for target, zone, answers, txt in LISTINGS:
        if ":" in target or target[0].isdigit():
            world.list_ip(target, zone, *answers, txt=txt)
        else:
            world.list_domain(target, zone, *answers, txt=txt)
    for name, rtype, values in MAIL_RECORDS:
        world.add(name, rtype, *values)
    world.rule(DEAD_ZONE, Behaviour.WILDCARD, a="127.0.0.2", txt="everything is listed")
    world.rule(SERVFAIL_ZONE, Behaviour.SERVFAIL)
    world.rule(REFUSED_ZONE, Behaviour.REFUSED)
    world.rule(SILENT_ZONE, Behaviour.DROP)
    world.rule(EMPTY_ZONE, Behaviour.NXDOMAIN)
    return world


# --------------------------------------------------------------------------- the server

_BUILDERS = {"A": A, "AAAA": AAAA, "PTR": PTR, "CNAME": CNAME}


def _rdata(rtype: str, value: str) -> Any:
    if rtype == "TXT":
        raw = value.encode()
        return TXT([raw[i:i + 255] for i in range(0, len(raw), 255)] or [b""])
    if rtype == "MX":
        preference, host = value.split()
        return MX(host, int(preference))
    return _BUILDERS[rtype](value)


class _Drop(DnslibError):  # type: ignore[misc]
    """Raised to send no reply: dnslib's handler logs a DNSError and answers nothing."""


class _Handler(DNSHandler):  # type: ignore[misc]
    def get_reply(self, data: bytes) -> bytes:
        request = DNSRecord.parse(data)
        world: World = self.server.world
        name, rtype = _norm(str(request.q.qname)), QTYPE[request.q.qtype]
        with world.lock:
            world.queries.append((name, rtype))
        delay = world._matching(world.delays, name)
        time.sleep(world.delay if delay is None else delay)
        reply = _answer(world, request, name, rtype)
        if reply is None:
            raise _Drop("dropped on purpose")
        return bytes(reply.pack())


def _answer(world: World, request: DNSRecord, name: str, rtype: str) -> DNSRecord | None:
    reply = request.reply()
    rule: Rule | None = world._matching(world.rules, name)
    if rule is not None:
        if rule.behaviour is Behaviour.DROP:
            return None
        if rule.behaviour is not Behaviour.WILDCARD:
            reply.header.rcode = {Behaviour.SERVFAIL: RCODE.SERVFAIL, Behaviour.REFUSED: RCODE.REFUSED,
                                  Behaviour.NXDOMAIN: RCODE.NXDOMAIN}[rule.behaviour]
            return reply
        synthetic = {"A": [rule.a], "TXT": [rule.txt] if rule.txt else []}.get(rtype, [])
        for value in synthetic:
            reply.add_answer(RR(name, QTYPE.reverse[rtype], ttl=60, rdata=_rdata(rtype, value)))
        if not synthetic:
            _negative(reply, name)
        return reply
    with world.lock:
        values = list(world.records.get((name, rtype), ()))
        exists = any(_under(n, name) for n, _ in world.records)
    for value, ttl in values:
        reply.add_answer(RR(name, QTYPE.reverse[rtype], ttl=ttl, rdata=_rdata(rtype, value)))
    if not values:
        if not exists:
            reply.header.rcode = RCODE.NXDOMAIN
        _negative(reply, name)
    return reply


def _negative(reply: DNSRecord, name: str) -> None:
    """An SOA in the authority section, so a resolver caches NXDOMAIN/NODATA (RFC 2308)."""
    apex = ".".join(name.split(".")[-2:]) or "."
    reply.add_auth(RR(apex, QTYPE.SOA, ttl=60,
                      rdata=SOA("ns." + apex, "hostmaster." + apex, (1, 3600, 600, 86400, 60))))


class _QuietLogger:
    def __getattr__(self, _name: str) -> Any:
        return lambda *args, **kwargs: None


@dataclass(slots=True)
class DNSServer:
    """UDP and TCP listeners on one 127.0.0.1 port, each serving from a thread."""

    world: World
    port: int = 0
    _servers: list[Any] = field(default_factory=list)
    _threads: list[threading.Thread] = field(default_factory=list)

    @property
    def nameserver(self) -> str:
        return f"127.0.0.1:{self.port}"

    def settings(self, **overrides: Any) -> DNSSettings:
        """`[dns]` settings pointing at this server (timeout 1s unless overridden)."""
        values: dict[str, Any] = {"nameservers": (self.nameserver,), "timeout": timedelta(seconds=1)}
        return DNSSettings.model_validate(values | overrides)

    def start(self) -> None:
        for _attempt in range(20):
            udp = UDPServer(("127.0.0.1", 0), _Handler)
            self.port = int(udp.server_address[1])
            try:
                tcp = TCPServer(("127.0.0.1", self.port), _Handler)
            except OSError:  # the UDP port is taken for TCP: rare, try another
                udp.server_close()
                continue
            self._servers = [udp, tcp]
            break
        else:
            raise RuntimeError("no free port for the test DNS server")
        for server in self._servers:
            server.world = self.world
            server.resolver = None
            server.logger = _QuietLogger()
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)


def start_dns_server(world: World | None = None) -> DNSServer:
    server = DNSServer(world=world or default_world())
    server.start()
    return server


@pytest.fixture
def dns_server() -> Iterator[DNSServer]:
    """A running server with a fresh `default_world()`; stopped after the test."""
    server = start_dns_server()
    try:
        yield server
    finally:
        server.stop()

