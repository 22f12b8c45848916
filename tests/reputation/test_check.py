"""Target validation and the verdict (pure), and check_target's contract for its callers."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.config import Settings
from bot.errors import ConfigError, DNSError, UsageError
from bot.models import CheckResult, ListingStatus, Verdict, ZoneResult
from bot.reputation.check import Target, check_target, parse_target, verdict
from bot.reputation.resolver import Resolver
from bot.reputation.zones import ZoneType
from tests.servers.dns import SPF_DOMAIN, DNSServer

Check = Callable[..., CheckResult]


@pytest.mark.parametrize(("text", "value", "kind"), [
    ("example.com", "example.com", ZoneType.DOMAIN),
    ("  Example.COM. ", "example.com", ZoneType.DOMAIN),
    ("postmaster@Example.com", "example.com", ZoneType.DOMAIN),
    ("bücher.example", "xn--bcher-kva.example", ZoneType.DOMAIN),
    ("user@bücher.example", "xn--bcher-kva.example", ZoneType.DOMAIN),
    ("xn--bcher-kva.example", "xn--bcher-kva.example", ZoneType.DOMAIN),
    ("192.0.2.1", "192.0.2.1", ZoneType.IP),
    ("[192.0.2.1]", "192.0.2.1", ZoneType.IP),
    ("2001:DB8::1", "2001:db8::1", ZoneType.IP),
    ("::ffff:192.0.2.1", "::ffff:c000:201", ZoneType.IP),
])
def test_parse_target(text: str, value: str, kind: ZoneType) -> None:
    assert parse_target(text) == Target(value=value, type=kind)


@pytest.mark.parametrize(("text", "reason"), [
    ("", "empty target"),
    ("   ", "empty target"),
    ("x" * 400, "too long"),
    (("a" * 60 + ".") * 5 + "com", "too long"),
    ("a" * 64 + ".com", "not a domain name"),
    ("localhost", "not a domain name"),
    ("exa mple.com", "not a domain name"),
    ("-bad.example", "not a domain name"),
    ("a..b", "not a domain name"),
    ("1.2.3", "not a domain name"),
    ("999.1.1.1", "not a domain name"),
    ("user@", "no domain after @"),
    ("http://example.com/", "not a domain name"),
])
def test_bad_targets(text: str, reason: str) -> None:
    with pytest.raises(UsageError, match=reason) as caught:
        parse_target(text)
    assert "\n" not in str(caught.value)


def _r(status: ListingStatus, *, zone: str = "z", informational: bool = False) -> ZoneResult:
    return ZoneResult(zone=zone, list=zone, status=status, informational=informational)


L, N, E, T = ListingStatus.LISTED, ListingStatus.NOT_LISTED, ListingStatus.ERROR, ListingStatus.TIMEOUT


@pytest.mark.parametrize(("results", "broken", "expected"), [
    ([_r(N), _r(N)], (), Verdict.CLEAN),
    ([_r(N), _r(L)], (), Verdict.LISTED),
    ([_r(L), _r(T)], (), Verdict.LISTED),
    ([_r(N), _r(E)], (), Verdict.UNKNOWN),
    ([_r(N), _r(T)], (), Verdict.UNKNOWN),
    ([_r(N), _r(E, zone="dead")], ("dead",), Verdict.CLEAN),
    ([_r(N), _r(L, informational=True)], (), Verdict.CLEAN),
    ([], (), Verdict.UNKNOWN),
], ids=["clean", "listed", "listed+timeout", "error", "timeout", "broken-ignored", "info-ignored", "nothing"])
def test_verdict(results: list[ZoneResult], broken: tuple[str, ...], expected: Verdict) -> None:
    assert verdict(results, broken) is expected


def test_domain_check_shape(check: Check) -> None:
    result = check(SPF_DOMAIN)
    assert (result.target, result.target_type, result.verdict) == (SPF_DOMAIN, "domain", Verdict.CLEAN)
    assert [r.zone for r in result.domain_results] == ["dbl.spamhaus.org", "multi.surbl.org", "multi.uribl.com"]
    assert all(len(c.results) == 8 for c in result.ips)
    assert result.checked_at.tzinfo is not None


def test_ip_check_has_no_posture(check: Check) -> None:
    result = check("192.0.2.1")
    assert result.posture is None and result.domain_results == ()


def test_missing_dqs_key_is_a_config_error(dns_server: DNSServer) -> None:
    settings = Settings(dns=dns_server.settings(spamhaus_dqs_key_env="NO_SUCH_VAR"))
    with pytest.raises(ConfigError, match="NO_SUCH_VAR"):
        check_target("192.0.2.1", settings, resolver=Resolver(settings.dns), env={})


def test_bad_dqs_key_is_a_config_error(dns_server: DNSServer) -> None:
    settings = Settings(dns=dns_server.settings(spamhaus_dqs_key_env="K"))
    with pytest.raises(ConfigError, match="does not hold a DQS key"):
        check_target("192.0.2.1", settings, resolver=Resolver(settings.dns), env={"K": "a.b"})


def test_shared_resolver_by_default(dns_server: DNSServer) -> None:
    settings = Settings(dns=dns_server.settings())
    check_target("192.0.2.1", settings, env={})
    asked = len(dns_server.world.queries)
    check_target("192.0.2.1", settings, env={})
    assert len(dns_server.world.queries) == asked  # the second check is served from the cache


def test_unreachable_resolver_is_a_dns_error() -> None:
    from tests.conftest import free_port

    settings = Settings.model_validate({"dns": {"nameservers": [f"127.0.0.1:{free_port()}"], "timeout": "0.5s"}})
    with pytest.raises(DNSError, match=r"no blacklist could be checked through 127\.0\.0\.1:\d+"):
        check_target("192.0.2.1", settings, resolver=Resolver(settings.dns), env={})
