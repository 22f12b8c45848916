"""SPF terms (pure) and a domain's sending IPs found through the loopback server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from bot.models import CheckResult
from bot.reputation.resolver import Resolver
from bot.reputation.targets import Source, SpfTerm, SpfWalk, merge_sources, parse_spf_term, walk_spf
from tests.servers.dns import BARE_DOMAIN, SPF_DOMAIN, Behaviour, DNSServer

Check = Callable[..., CheckResult]


@pytest.mark.parametrize(("text", "term"), [
    ("-all", SpfTerm(qualifier="-", name="all")),
    ("~ALL", SpfTerm(qualifier="~", name="all")),
    ("ip4:192.0.2.1", SpfTerm(qualifier="+", name="ip4", value="192.0.2.1")),
    ("ip6:2001:db8::/32", SpfTerm(qualifier="+", name="ip6", value="2001:db8::/32")),
    ("include:_spf.example.net", SpfTerm(qualifier="+", name="include", value="_spf.example.net")),
    ("?mx:mail.example.com/24", SpfTerm(qualifier="?", name="mx", value="mail.example.com/24")),
    ("a/24", SpfTerm(qualifier="+", name="a", value="/24")),
    ("a", SpfTerm(qualifier="+", name="a")),
    ("redirect=_spf.example.com", SpfTerm(qualifier="+", name="redirect", value="_spf.example.com", modifier=True)),
    ("exp=explain.example.com", SpfTerm(qualifier="+", name="exp", value="explain.example.com", modifier=True)),
])
def test_parse_spf_term(text: str, term: SpfTerm) -> None:
    assert parse_spf_term(text) == term


@pytest.mark.parametrize("text", ["ip4:300.1.1.1", "ip4:2001:db8::1", "ip6:192.0.2.1", "include", "all:x",
                                  "bogus:x", "ip4/24", "=x", "-redirect=x.example"])
def test_bad_spf_terms(text: str) -> None:
    with pytest.raises(ValueError):
        parse_spf_term(text)


def test_merge_sources() -> None:
    merged = merge_sources([("192.0.2.1", Source.CONFIG), ("2001:DB8::1", Source.SPF), ("192.0.2.1", Source.MX),
                            ("192.0.2.2", Source.MX), ("192.0.2.3", Source.A)], limit=3)
    assert [(t.ip, t.sources) for t in merged] == [
        ("192.0.2.1", ("config", "mx")), ("2001:db8::1", ("spf",)), ("192.0.2.2", ("mx",))]


def _walk(resolver: Resolver, domain: str) -> SpfWalk:
    return asyncio.run(walk_spf(resolver, domain))


def test_walk_expands_includes_a_and_mx(resolver: Resolver) -> None:
    walk = _walk(resolver, SPF_DOMAIN)
    assert set(walk.addresses) == {"192.0.2.10", "198.51.100.7", "2001:db8::25", "198.51.100.8", "192.0.2.20",
                                   "2001:db8::20", "192.0.2.30"}
    assert walk.networks == ("203.0.113.0/24",)
    assert (walk.lookups, walk.all_qualifier, walk.errors) == (4, "-all", ())


def test_walk_fetches_each_level_at_once(dns_server: DNSServer, resolver: Resolver) -> None:
    dns_server.world.delay = 0.1
    started = time.perf_counter()
    _walk(resolver, SPF_DOMAIN)
    # levels: TXT; include TXT ‖ MX ‖ A/AAAA; include TXT ‖ host A/AAAA → three round trips, not seven
    assert time.perf_counter() - started < 0.1 * 4


def test_the_walk_reports_addresses_in_record_order_whatever_answers_first(dns_server: DNSServer,
                                                                          resolver: Resolver) -> None:
    # The record names ip4, include (two levels), mx, then a:; make the include slowest and a: fastest,
    # so that answers arrive in the reverse of record order. A check keeps the first addresses under
    # its limits: which ones must not depend on DNS timing.
    dns_server.world.delays = {"_spf.example.net": 0.3, "mx1.example.com": 0.15, "out.example.com": 0.0}
    walk = _walk(resolver, SPF_DOMAIN)
    assert walk.addresses == ("192.0.2.10", "198.51.100.7", "2001:db8::25", "198.51.100.8",
                              "192.0.2.20", "2001:db8::20", "192.0.2.30")
    assert walk.hosts == ("mx1.example.com", "out.example.com")


def _expire(resolver: Resolver) -> None:
    """Every cached answer runs out, as between two watches an hour apart; what the resolver remembers stays."""
    resolver.cache.flush()
    resolver._answers.clear()


def test_a_second_walk_asks_for_the_whole_remembered_chain_at_once(dns_server: DNSServer,
                                                                   resolver: Resolver) -> None:
    dns_server.world.delay = 0.15
    started = time.perf_counter()
    first = _walk(resolver, SPF_DOMAIN)
    cold = time.perf_counter() - started
    _expire(resolver)
    started = time.perf_counter()
    again = _walk(resolver, SPF_DOMAIN)
    warm = time.perf_counter() - started
    assert again == first, "the same record gives the same walk, in the same order"
    assert cold >= 0.15 * 3 and warm < 0.15 * 2, f"first walk {cold:.2f} s, again {warm:.2f} s"


def test_a_remembered_walk_follows_the_record_as_it_is_now(dns_server: DNSServer, resolver: Resolver) -> None:
    _walk(resolver, SPF_DOMAIN)
    _expire(resolver)
    dns_server.world.remove(SPF_DOMAIN, "TXT")
    dns_server.world.add(SPF_DOMAIN, "TXT", "v=spf1 ip4:192.0.2.44 include:_spf2.example.net -all")
    walk = _walk(resolver, SPF_DOMAIN)
    assert set(walk.addresses) == {"192.0.2.44", "198.51.100.8"}, "the old include's addresses are gone"
    assert walk.lookups == 1


def test_lookup_limit(dns_server: DNSServer, resolver: Resolver) -> None:
    includes = " ".join(f"include:s{n}.example.net" for n in range(12))
    dns_server.world.add("many.example", "TXT", f"v=spf1 {includes} -all")
    for n in range(12):
        dns_server.world.add(f"s{n}.example.net", "TXT", f"v=spf1 ip4:198.51.100.{n + 100} -all")
    walk = _walk(resolver, "many.example")
    assert walk.lookups == 12 and len(walk.addresses) == 10
    assert any("12 DNS lookups" in e for e in walk.errors)
    assert not dns_server.world.asked("s11.example.net")


@pytest.mark.parametrize(("records", "error"), [
    ({"loop.example": "v=spf1 include:loop2.example -all", "loop2.example": "v=spf1 include:loop.example -all"},
     "include loop"),
    ({"loop.example": "v=spf1 include:missing.example -all"}, "missing.example: no SPF record"),
    ({"loop.example": "v=spf1 ip4:192.0.2.1 frobnicate -all"}, "unknown SPF mechanism"),
])
def test_permerrors(dns_server: DNSServer, resolver: Resolver, records: dict[str, str], error: str) -> None:
    for name, text in records.items():
        dns_server.world.add(name, "TXT", text)
    assert any(error in e for e in _walk(resolver, "loop.example").errors)


def test_two_spf_records(dns_server: DNSServer, resolver: Resolver) -> None:
    dns_server.world.add("two.example", "TXT", "v=spf1 -all", "v=spf1 ~all")
    assert _walk(resolver, "two.example").errors == ("2 SPF records; RFC 7208 allows one",)


def test_redirect_gives_the_all(dns_server: DNSServer, resolver: Resolver) -> None:
    dns_server.world.add("r.example", "TXT", "v=spf1 ip4:192.0.2.5 redirect=_spf.example.net")
    walk = _walk(resolver, "r.example")
    assert walk.all_qualifier == "~all" and "198.51.100.8" in walk.addresses


def test_no_spf(resolver: Resolver) -> None:
    assert _walk(resolver, BARE_DOMAIN) == SpfWalk()


def test_spf_timeout_is_temporary(dns_server: DNSServer) -> None:
    dns_server.world.rule("slow.example", Behaviour.DROP)
    walk = _walk(Resolver(dns_server.settings(timeout="0.3s")), "slow.example")
    assert walk.temporary_error.startswith("SPF lookup timeout")


def test_domain_targets_and_sources(check: Check) -> None:
    result = check(SPF_DOMAIN, monitor={"domains": [SPF_DOMAIN], "sending_ips": ["192.0.2.10", "192.0.2.200",
                                                                                   "10.0.0.0/8"]},
                   bounce_ips=("198.51.100.99", "not-an-ip"))
    sources = {c.ip: c.sources for c in result.ips}
    assert sources["192.0.2.10"] == ("config", "spf")
    assert sources["192.0.2.200"] == ("config",)
    assert sources["198.51.100.99"] == ("bounces",)
    assert sources["192.0.2.20"] == ("spf", "mx")
    assert "192.0.2.80" not in sources  # the domain has MX, so its A is not a mail host
    assert {c.ip: c.ptr for c in result.ips}["192.0.2.10"] == "mail.example.com"
    assert any("203.0.113.0/24" in n for n in result.notes)


def test_config_ips_only_for_our_domains(check: Check) -> None:
    result = check(SPF_DOMAIN, monitor={"domains": ["other.example"], "sending_ips": ["192.0.2.200"]})
    assert "192.0.2.200" not in {c.ip for c in result.ips}


def test_implicit_mx(check: Check) -> None:
    result = check(BARE_DOMAIN)
    assert [(c.ip, c.sources) for c in result.ips] == [("192.0.2.50", ("a",))]
