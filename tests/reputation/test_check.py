"""Target validation and the verdict (pure), and check_target's contract for its callers."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.config import Settings
from bot.errors import ConfigError, DNSError, UsageError
from bot.models import CheckResult, ListingStatus, Verdict, ZoneResult
from bot.reputation.check import Target, check_target, not_public, parse_target, verdict
from bot.reputation.resolver import Resolver
from bot.reputation.zones import ZoneType
from tests.servers.dns import (
    CLEAN_IP,
    DOMAIN_ZONES,
    EMPTY_ZONE,
    IP_ZONES,
    SILENT_ZONE,
    SPF_DOMAIN,
    Behaviour,
    DNSServer,
)

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
    ("::ffff:192.0.2.1", "192.0.2.1", ZoneType.IP),  # IPv4-mapped: asked about as the IPv4 address it is
    # pasted from a browser or a chat: the host is what is meant
    ("https://Example.com/path?q=1", "example.com", ZoneType.DOMAIN),
    ("http://user:pw@mail.example.com:8080/", "mail.example.com", ZoneType.DOMAIN),
    ("http://[2001:db8::1]:8080/", "2001:db8::1", ZoneType.IP),
    ("example.com/path", "example.com", ZoneType.DOMAIN),
    ("mailto:postmaster@example.com?subject=hi", "example.com", ZoneType.DOMAIN),
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
    ("https:///path", "URL without a host"),
    ("http://[zz::1]/", "URL without a host"),
])
def test_bad_targets(text: str, reason: str) -> None:
    with pytest.raises(UsageError, match=reason) as caught:
        parse_target(text)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("text", "says"), [
    ("not_a_domain!", "'not_a_domain!' is not a domain name or IP address ('_', '!' cannot be part of one): "
                      "give a domain (example.com), an IP address (192.0.2.1, 2001:db8::1) or an email address"),
    ("exa mple.com", "'exa mple.com' is not a domain name or IP address (a space cannot be part of one): give"),
    ("localhost", "'localhost' is not a domain name or IP address: give a domain (example.com)"),
])
def test_a_bad_target_is_explained_in_plain_words(text: str, says: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_target(text)
    assert str(caught.value).startswith(says)
    assert "codepoint" not in str(caught.value).lower()


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


def test_a_problem_outside_the_lists_makes_clean_unknown_but_a_listing_stays() -> None:
    problem = ("MX lookup of example.com: SERVFAIL",)
    assert verdict([_r(N), _r(N)], (), problem) is Verdict.UNKNOWN
    assert verdict([_r(N), _r(L)], (), problem) is Verdict.LISTED


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


# --------------------------------------------------------------------------- unknown, and why


BLACKLIST_ZONES = (*IP_ZONES, *DOMAIN_ZONES)


def _advice_and_posture_text(result: CheckResult) -> str:
    assert result.posture is not None
    return " ".join((*result.posture.advice, str(result.posture))).lower()


def test_a_healthy_check_is_clean_with_no_problems(check: Check) -> None:
    for target in (SPF_DOMAIN, CLEAN_IP):
        result = check(target)
        assert (result.verdict, result.problems, result.not_public) == (Verdict.CLEAN, (), ())
        assert all(r.problem == "" for c in result.ips for r in c.results)


def test_servfail_on_the_domain_is_unknown_and_names_each_lookup(check: Check, dns_server: DNSServer) -> None:
    dns_server.world.rule(SPF_DOMAIN, Behaviour.SERVFAIL)  # TXT, _dmarc, MX, A and AAAA alike
    result = check(SPF_DOMAIN)
    assert result.verdict is Verdict.UNKNOWN
    assert result.problems == ("SPF lookup of example.com: SERVFAIL", "MX lookup of example.com: SERVFAIL",
                               "A and AAAA lookups of example.com failed", "DMARC lookup of example.com: SERVFAIL")
    assert result.posture is not None
    assert (result.posture.spf_lookup_problem, result.posture.dmarc_lookup_problem) == ("SERVFAIL", "SERVFAIL")
    assert result.posture.advice == ()
    assert "publish" not in _advice_and_posture_text(result)
    assert not any("no sending IPs found" in note for note in result.notes)  # none were looked up


def test_a_resolver_answering_nxdomain_for_everything_is_blamed_once(check: Check, dns_server: DNSServer) -> None:
    dns_server.world.rule("", Behaviour.NXDOMAIN)
    result = check(SPF_DOMAIN)
    assert result.problems == (
        f"the resolver 127.0.0.1:{dns_server.port} answers NXDOMAIN for every blacklist's test entry: it is at "
        "fault, not the lists, and what it says does not exist at example.com cannot be trusted either; "
        "point [dns] nameservers at a working resolver",)
    assert result.verdict is Verdict.UNKNOWN
    assert result.broken_zones == ()
    assert not any("dead" in note or "not a blacklist" in note for note in result.notes)
    assert {(r.status, r.problem) for r in result.domain_results} == {(ListingStatus.ERROR, "resolver at fault")}
    assert result.posture is not None
    assert (result.posture.spf_lookup_problem, result.posture.dmarc_lookup_problem) == ("resolver at fault",) * 2
    assert (result.posture.spf_valid, result.posture.advice) == (None, ())
    assert result.servers_answered == ()  # what it failed to find must not erase what the store learned


def test_a_resolver_at_fault_behind_an_ip_check(check: Check, dns_server: DNSServer) -> None:
    dns_server.world.rule("", Behaviour.NXDOMAIN)
    result = check(CLEAN_IP)
    assert result.problems == (
        f"the resolver 127.0.0.1:{dns_server.port} answers NXDOMAIN for every blacklist's test entry: it is at "
        "fault, not the lists; point [dns] nameservers at a working resolver",)
    assert {r.problem for r in result.ips[0].results} == {"resolver at fault"}


def test_a_resolver_answering_every_name_lists_nobody(check: Check, dns_server: DNSServer) -> None:
    dns_server.world.rule("", Behaviour.WILDCARD, a="127.0.0.2")
    result = check(CLEAN_IP)
    assert result.verdict is Verdict.UNKNOWN and result.broken_zones == ()
    assert len(result.problems) == 1
    assert "answers every blacklist query, even for names no list lists: it is at fault" in result.problems[0]
    assert not any(r.status is ListingStatus.LISTED for r in result.ips[0].results)


def test_one_dead_zone_is_still_the_zone_s_fault(check: Check) -> None:
    result = check(CLEAN_IP, dns={"zones": [{"zone": EMPTY_ZONE, "name": "empty", "type": "ip"}]})
    assert result.broken_zones == (EMPTY_ZONE,) and result.problems == ()
    assert result.verdict is Verdict.CLEAN
    empty = next(r for r in result.ips[0].results if r.zone == EMPTY_ZONE)
    assert empty.problem == ("zone broken by its sanity probe: it does not list its test entry 127.0.0.2: "
                             "dead or not a blacklist")


def test_a_zone_that_times_out_says_so_in_problems(check: Check) -> None:
    result = check(CLEAN_IP, dns={"zones": [{"zone": SILENT_ZONE, "name": "silent", "type": "ip"}], "timeout": "0.5s"})
    assert result.verdict is Verdict.UNKNOWN
    assert result.problems == ("silent could not be checked for 192.0.2.1: timeout (no answer within 0.5s)",)
    silent = next(r for r in result.ips[0].results if r.zone == SILENT_ZONE)
    assert (silent.status, silent.problem) == (ListingStatus.TIMEOUT, "timeout (no answer within 0.5s)")


def test_a_dmarc_timeout_is_unknown_without_advice_to_fix_or_publish(check: Check, dns_server: DNSServer) -> None:
    dns_server.world.rule(f"_dmarc.{SPF_DOMAIN}", Behaviour.DROP)
    result = check(SPF_DOMAIN)
    assert result.verdict is Verdict.UNKNOWN
    assert result.problems == ("DMARC lookup of example.com: timeout (no answer within 1s)",)
    assert result.posture is not None
    assert result.posture.dmarc_lookup_problem == "timeout (no answer within 1s)"
    assert result.posture.advice == ()  # SPF is fine, and a record we could not see gets no advice
    text = _advice_and_posture_text(result)
    assert "fix it" not in text and "publish" not in text


NOT_PUBLIC = [
    ("10.0.0.1", "private network, RFC 1918"),
    ("172.16.5.4", "private network, RFC 1918"),
    ("192.168.1.1", "private network, RFC 1918"),
    ("127.0.0.1", "loopback"),
    ("::1", "loopback"),
    ("169.254.169.254", "link-local"),
    ("fe80::1", "link-local"),
    ("100.64.0.1", "carrier-grade NAT space, RFC 6598"),
    ("224.0.0.251", "multicast"),
    ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved, RFC 1112"),
    ("255.255.255.255", "reserved, RFC 1112"),
    ("0.0.0.0", '"this network", RFC 1122'),
    ("198.18.0.1", "benchmarking, RFC 2544"),
    ("fd00::1", "unique local address, RFC 4193"),
    ("::ffff:10.0.0.1", "private network, RFC 1918"),
    ("4000::1", "reserved IPv6 space, outside 2000::/3"),
]


@pytest.mark.parametrize(("ip", "what"), NOT_PUBLIC, ids=[ip for ip, _ in NOT_PUBLIC])
def test_a_non_public_ip_is_answered_without_asking_any_list(check: Check, dns_server: DNSServer,
                                                              ip: str, what: str) -> None:
    result = check(ip)
    value = parse_target(ip).value
    assert result.verdict is Verdict.UNKNOWN
    assert result.problems == (f"{value} is not a public address: blocklists do not list it ({what})",)
    assert result.not_public == ((value, what),) and result.ips[0].results == ()
    assert all(dns_server.world.asked(zone) == [] for zone in BLACKLIST_ZONES)
    assert dns_server.world.queries == []  # not even a PTR


@pytest.mark.parametrize("ip", ["192.0.2.1", "198.51.100.7", "203.0.113.5", "2001:db8::1", "::ffff:192.0.2.98",
                                "8.8.8.8", "2a00:1450:4001::1", "64:ff9b::808:808"])
def test_public_and_documentation_addresses_stay_checkable(ip: str) -> None:
    assert not_public(ip) == ""


def test_a_domain_s_private_sending_ip_is_shown_and_never_queried(check: Check, dns_server: DNSServer) -> None:
    dns_server.world.remove(SPF_DOMAIN, "TXT")
    dns_server.world.add(SPF_DOMAIN, "TXT", "v=spf1 ip4:10.0.0.1 ip4:192.0.2.10 -all")
    result = check(SPF_DOMAIN, bounce_ips=("192.168.7.7",))
    private = {c.ip: c for c in result.ips if not c.results}
    assert set(private) == {"10.0.0.1", "192.168.7.7"}
    assert private["10.0.0.1"].sources == ("spf",)
    assert dict(result.not_public) == {"10.0.0.1": "private network, RFC 1918",
                                       "192.168.7.7": "private network, RFC 1918"}
    asked = [name for zone in BLACKLIST_ZONES for name, _ in dns_server.world.asked(zone)]
    assert asked and not [name for name in asked if name.startswith(("1.0.0.10.", "7.7.168.192."))]
    assert result.verdict is Verdict.CLEAN  # no list can list them: nothing is left unknown
