"""The resolver built from [dns]: nameserver parsing, outcomes of each lookup, cache, rate limit."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta

import dns.message
import dns.query
import dns.rrset
import pytest

from bot.config import DNSSettings
from bot.models import CheckResult, ListingStatus
from bot.reputation.dnsbl import Blacklists
from bot.reputation.resolver import LookupStatus, RateLimiter, Resolver, parse_nameserver, shared_resolver
from bot.reputation.zones import CATALOGUE, ZoneType
from tests.servers.dns import CLEAN_IP, SERVFAIL_ZONE, SILENT_ZONE, SPF_DOMAIN, DNSServer


@pytest.mark.parametrize(("text", "address", "port"), [
    ("127.0.0.1:5353", "127.0.0.1", 5353), ("192.0.2.53", "192.0.2.53", 53), ("::1", "::1", 53)])
def test_parse_nameserver(text: str, address: str, port: int) -> None:
    server = parse_nameserver(text)
    assert (server.answer_nameserver(), server.answer_port()) == (address, port)


def test_rate_limiter_spreads_a_burst() -> None:
    now = [0.0]
    limiter = RateLimiter(2.0, clock=lambda: now[0])
    waits = [limiter.reserve("zone") for _ in range(5)]
    assert waits == [0.0, 0.0, 0.5, 1.0, 1.5]
    assert limiter.reserve("other") == 0.0
    now[0] = 10.0
    assert limiter.reserve("zone") == 0.0


@pytest.mark.parametrize(("name", "rtype", "status", "values"), [
    (SPF_DOMAIN, "MX", LookupStatus.ANSWER, ("mx1.example.com",)),
    ("mx1.example.com", "AAAA", LookupStatus.ANSWER, ("2001:db8::20",)),
    ("10.2.0.192.in-addr.arpa", "PTR", LookupStatus.ANSWER, ("mail.example.com",)),
    ("nothing.example.com", "A", LookupStatus.NXDOMAIN, ()),
    ("mx1.example.com", "TXT", LookupStatus.NODATA, ()),
    (f"x.{SERVFAIL_ZONE}", "A", LookupStatus.ERROR, ()),
    (f"x.{SILENT_ZONE}", "A", LookupStatus.TIMEOUT, ()),
])
def test_lookup_outcomes(dns_server: DNSServer, name: str, rtype: str, status: LookupStatus,
                         values: tuple[str, ...]) -> None:
    resolver = Resolver(dns_server.settings(timeout="0.3s"))
    lookup = asyncio.run(resolver.query(name, rtype))
    assert (lookup.status, lookup.values) == (status, values)


def test_long_txt_is_joined(dns_server: DNSServer, resolver: Resolver) -> None:
    dns_server.world.add("long.example", "TXT", "v=spf1 " + "ip4:192.0.2.1 " * 40 + "-all")
    (text,) = asyncio.run(resolver.query("long.example", "TXT")).values
    assert len(text) > 255 and text.endswith("-all")


def test_negative_answers_are_cached(dns_server: DNSServer, resolver: Resolver) -> None:
    for _ in range(2):
        asyncio.run(resolver.query("nothing.example.com", "A"))
        asyncio.run(resolver.query("mx1.example.com", "TXT"))
    assert len(dns_server.world.queries) == 2


def test_sync_resolver_shares_servers_and_cache(dns_server: DNSServer, resolver: Resolver) -> None:
    asyncio.run(resolver.query(SPF_DOMAIN, "MX"))
    answer = resolver.sync_resolver().resolve(SPF_DOMAIN, "MX")
    assert str(answer[0].exchange) == "mx1.example.com."
    assert len(dns_server.world.queries) == 1


def test_shared_resolver_per_settings(dns_server: DNSServer) -> None:
    settings = dns_server.settings()
    assert shared_resolver(settings) is shared_resolver(DNSSettings.model_validate(settings.model_dump()))
    assert shared_resolver(settings) is not shared_resolver(dns_server.settings(timeout="3s"))


def test_rate_limit_spreads_one_zones_queries(dns_server: DNSServer) -> None:
    blacklists = Blacklists(Resolver(dns_server.settings(queries_per_second_per_zone=4)), CATALOGUE[:1])

    async def two_ips() -> None:
        await asyncio.gather(blacklists.check("192.0.2.1", ZoneType.IP), blacklists.check("192.0.2.2", ZoneType.IP))

    started = time.perf_counter()
    asyncio.run(two_ips())  # one zone: 2 IPs + 3 probes = 5 queries at 4/s, burst 4 → the fifth waits 0.25 s
    assert time.perf_counter() - started >= 0.25


def test_server_answers_over_tcp(dns_server: DNSServer) -> None:
    reply = dns.query.tcp(dns.message.make_query(SPF_DOMAIN, "MX"), "127.0.0.1", port=dns_server.port, timeout=2)
    assert "mx1.example.com." in reply.to_text()


def test_slow_resolver_is_answered_within_the_timeout(dns_server: DNSServer) -> None:
    """Answers 1.2 s late, timeout 4 s: each re-sent query used to be delayed again, never answered."""
    dns_server.world.delay = 1.2
    started = time.perf_counter()
    lookup = asyncio.run(Resolver(dns_server.settings(timeout="4s")).query(SPF_DOMAIN, "MX"))
    assert (lookup.status, lookup.values) == (LookupStatus.ANSWER, ("mx1.example.com",))
    assert time.perf_counter() - started < 2.5


def test_slow_resolver_does_not_fail_a_check(dns_server: DNSServer, check: Callable[..., CheckResult]) -> None:
    dns_server.world.delay = 1.2
    result = check(CLEAN_IP, dns={"timeout": "4s"})
    assert not result.broken_zones
    assert {r.status for c in result.ips for r in c.results} == {ListingStatus.NOT_LISTED}


def test_a_lost_query_is_sent_again() -> None:
    """The first packet is lost: the query is re-sent on the same socket and the reply still counts."""
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    received: list[float] = []

    def answer_the_second() -> None:
        for _ in range(2):
            data, client = server.recvfrom(512)
            received.append(time.perf_counter())
        reply = dns.message.make_response(dns.message.from_wire(data))
        reply.answer.append(dns.rrset.from_text("lost.example.", 60, "IN", "A", "192.0.2.5"))
        server.sendto(reply.to_wire(), client)

    thread = threading.Thread(target=answer_the_second, daemon=True)
    thread.start()
    settings = DNSSettings(nameservers=(f"127.0.0.1:{server.getsockname()[1]}",), timeout=timedelta(seconds=3))
    try:
        lookup = asyncio.run(Resolver(settings).query("lost.example", "A"))
    finally:
        thread.join(timeout=5)
        server.close()
    assert (lookup.status, lookup.values) == (LookupStatus.ANSWER, ("192.0.2.5",))
    assert received[1] - received[0] < 1.5
