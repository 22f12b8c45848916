"""Our servers learned from DNS: SPF (addresses, ranges, a/mx names, PTR), MX, and what a failed lookup keeps."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import create_engine

from bot.models import ServerKind, ServerSource
from bot.reputation.resolver import Resolver
from bot.reputation.servers import LearnedServers, learn_servers_async
from bot.store.schema import metadata
from bot.store.servers_store import known_servers_of, save_learned
from tests.servers.dns import SPF_DOMAIN, Behaviour, DNSServer

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def learned(resolver: Resolver, domain: str = SPF_DOMAIN) -> LearnedServers:
    [result] = asyncio.run(learn_servers_async(resolver, [domain], NOW))
    return result


def test_spf_and_mx_name_our_servers_with_their_sources(resolver: Resolver) -> None:
    result = learned(resolver)
    found = {(s.kind, s.value, s.source) for s in result.servers}
    assert (ServerKind.IP, "192.0.2.10", ServerSource.SPF) in found  # ip4:
    assert (ServerKind.NETWORK, "203.0.113.0/24", ServerSource.SPF) in found  # a range
    assert (ServerKind.IP, "198.51.100.8", ServerSource.SPF) in found  # two includes deep
    assert (ServerKind.HOST, "out.example.com", ServerSource.SPF) in found  # a:out.example.com
    assert (ServerKind.HOST, "mail.example.com", ServerSource.SPF) in found  # PTR of 192.0.2.10
    assert (ServerKind.HOST, "mx1.example.com", ServerSource.MX) in found
    assert (ServerKind.IP, "2001:db8::20", ServerSource.MX) in found
    assert set(result.answered) == {ServerSource.SPF, ServerSource.MX} and result.problems == ()
    assert all(s.domain == SPF_DOMAIN and s.learned_at == NOW for s in result.servers)


def test_a_failed_lookup_keeps_what_was_learned_before(dns_server: DNSServer, resolver: Resolver) -> None:
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    first = learned(resolver)
    with engine.begin() as conn:
        save_learned(conn, first.domain, first.servers, first.answered, first.learned_at)
    dns_server.world.rule(SPF_DOMAIN, Behaviour.SERVFAIL)
    later = learned(Resolver(dns_server.settings()))
    assert later.answered == () and later.servers == ()
    assert later.problems[0].startswith(f"SPF of {SPF_DOMAIN}: SPF lookup error")
    with engine.begin() as conn:
        save_learned(conn, later.domain, later.servers, later.answered, later.learned_at)
        kept = known_servers_of(conn, [SPF_DOMAIN])
    assert {(s.kind, s.value) for s in kept} == {(s.kind, s.value) for s in first.servers}


def test_no_mx_means_the_domains_own_address(resolver: Resolver) -> None:
    result = learned(resolver, "nospf.example.org")
    assert {(s.kind, s.value, s.source) for s in result.servers} == {
        (ServerKind.IP, "192.0.2.50", ServerSource.A)}
