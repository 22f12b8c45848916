"""RFC 5782 names, reading answers, sanity probes (pure), then every zone behaviour on the loopback server."""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.models import CheckResult, ListingStatus, Verdict, ZoneResult
from bot.reputation.dnsbl import (
    Blacklists,
    Probe,
    ProbeFailure,
    ProbeStatus,
    ip_query_name,
    judge_probes,
    ptr_name,
    read_lookup,
    resolver_fault,
    reverse_labels,
    trust,
)
from bot.reputation.resolver import Lookup, LookupStatus, Resolver
from bot.reputation.zones import CATALOGUE, ZoneType
from tests.servers.dns import (
    CLEAN_IP,
    DEAD_ZONE,
    DQS_KEY,
    DQS_LISTED_IP,
    EMPTY_ZONE,
    LISTED_IP,
    LISTED_IP6,
    MAPPED_IP6,
    PBL_IP,
    REFUSED_ZONE,
    SERVFAIL_ZONE,
    SILENT_ZONE,
    Behaviour,
    DNSServer,
)

ZEN, DBL = CATALOGUE[0], next(z for z in CATALOGUE if z.zone == "dbl.spamhaus.org")
Check = Callable[..., CheckResult]

# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(("ip", "labels"), [
    ("192.0.2.99", "99.2.0.192"),
    ("2001:db8::99", "9.9." + "0." * 22 + "8.b.d.0.1.0.0.2"),
    ("::ffff:192.0.2.98", "2.6.2.0.0.0.0.c.f.f.f.f." + "0." * 19 + "0"),
    ("::1", "1." + "0." * 30 + "0"),
])
def test_reverse_labels(ip: str, labels: str) -> None:
    assert reverse_labels(ip) == labels
    assert len(reverse_labels(ip).split(".")) in (4, 32)


def test_query_and_ptr_names() -> None:
    assert ip_query_name("192.0.2.99", "zen.spamhaus.org") == "99.2.0.192.zen.spamhaus.org"
    assert ptr_name("192.0.2.10") == "10.2.0.192.in-addr.arpa"
    assert ptr_name("2001:db8::1").endswith(".8.b.d.0.1.0.0.2.ip6.arpa")
    assert ptr_name("::ffff:192.0.2.98").endswith("ip6.arpa")  # not collapsed to in-addr.arpa


# --------------------------------------------------------------------------- reading


def _lookup(status: LookupStatus, *values: str, error: str = "") -> Lookup:
    return Lookup(name="x", rdtype="A", status=status, values=values, error=error)


@pytest.mark.parametrize(("lookup", "status"), [
    (_lookup(LookupStatus.NXDOMAIN), ListingStatus.NOT_LISTED),
    (_lookup(LookupStatus.NODATA), ListingStatus.NOT_LISTED),
    (_lookup(LookupStatus.TIMEOUT, error="no answer within 1s"), ListingStatus.TIMEOUT),
    (_lookup(LookupStatus.ERROR, error="SERVFAIL"), ListingStatus.ERROR),
    (_lookup(LookupStatus.ANSWER, "127.0.0.2"), ListingStatus.LISTED),
    (_lookup(LookupStatus.ANSWER, "127.0.0.2", "127.255.255.254"), ListingStatus.ERROR),
    (_lookup(LookupStatus.ANSWER, "127.255.255.254"), ListingStatus.ERROR),
    (_lookup(LookupStatus.ANSWER, "192.0.2.1"), ListingStatus.ERROR),
], ids=["nxdomain", "nodata", "timeout", "servfail", "listed", "listed+error", "refused", "rewritten"])
def test_read_lookup(lookup: Lookup, status: ListingStatus) -> None:
    result, _ = read_lookup(ZEN, "192.0.2.1", lookup, txt="why")
    assert result.status is status
    assert result.txt == ("why" if status is ListingStatus.LISTED else "")
    assert (result.zone, result.list) == ("zen.spamhaus.org", "Spamhaus ZEN")


@pytest.mark.parametrize(("lookup", "problem"), [
    (_lookup(LookupStatus.NXDOMAIN), ""),
    (_lookup(LookupStatus.ANSWER, "127.0.0.2"), ""),
    (_lookup(LookupStatus.TIMEOUT, error="no answer within 1s"), "timeout (no answer within 1s)"),
    (_lookup(LookupStatus.ERROR, error="SERVFAIL"), "SERVFAIL"),
    (_lookup(LookupStatus.ANSWER, "127.255.255.254"),
     "refused: query came through a public or unattributable resolver"),
], ids=["nxdomain", "listed", "timeout", "servfail", "refused"])
def test_read_lookup_says_why_a_result_is_unknown(lookup: Lookup, problem: str) -> None:
    assert read_lookup(ZEN, "192.0.2.1", lookup)[0].problem == problem


def test_read_lookup_notes_and_meaning() -> None:
    result, notes = read_lookup(ZEN, "192.0.2.1", _lookup(LookupStatus.ANSWER, "127.255.255.254"))
    assert notes and "public or unattributable" in result.meaning
    result, _ = read_lookup(ZEN, "192.0.2.1", _lookup(LookupStatus.ANSWER, "127.0.0.10", "127.0.0.2"))
    assert result.codes == ("127.0.0.2", "127.0.0.10")
    assert "SBL" in result.meaning and "PBL" in result.meaning


OK, NX = _lookup(LookupStatus.ANSWER, "127.0.0.2"), _lookup(LookupStatus.NXDOMAIN)


@pytest.mark.parametrize(("listed", "unlisted", "wildcard", "status"), [
    (OK, NX, NX, ProbeStatus.OK),
    (OK, OK, OK, ProbeStatus.BROKEN),  # a dead list answering everything
    (OK, NX, OK, ProbeStatus.BROKEN),  # wildcard zone
    (NX, NX, NX, ProbeStatus.BROKEN),  # lists nothing, not even its test entry
    (_lookup(LookupStatus.TIMEOUT), NX, NX, ProbeStatus.INCONCLUSIVE),
    (OK, _lookup(LookupStatus.ERROR, error="SERVFAIL"), NX, ProbeStatus.INCONCLUSIVE),
    (_lookup(LookupStatus.ANSWER, "127.255.255.254"),) * 3 + (ProbeStatus.INCONCLUSIVE,),
])
def test_judge_probes(listed: Lookup, unlisted: Lookup, wildcard: Lookup, status: ProbeStatus) -> None:
    assert judge_probes(ZEN, listed, unlisted, wildcard).status is status


@pytest.mark.parametrize("probe", [ProbeStatus.BROKEN, ProbeStatus.INCONCLUSIVE])
@pytest.mark.parametrize("status", [ListingStatus.LISTED, ListingStatus.NOT_LISTED])
def test_untrusted_zone_answers_are_errors(probe: ProbeStatus, status: ListingStatus) -> None:
    result = ZoneResult(zone="z", list="Z", status=status, codes=("127.0.0.2",), txt="t")
    shown = trust(result, Probe(zone="z", status=probe, reason="because"))
    assert shown.status is ListingStatus.ERROR and "because" in shown.meaning and shown.txt == ""


def _broken(zone: str, failure: ProbeFailure) -> Probe:
    return Probe(zone=zone, status=ProbeStatus.BROKEN, reason="r", failure=failure)


NXD = ProbeFailure.TEST_ENTRY_NXDOMAIN


@pytest.mark.parametrize(("probes", "fault"), [
    ([_broken("a", NXD), _broken("b", NXD)], "answers NXDOMAIN for every blacklist's test entry"),
    ([_broken("a", ProbeFailure.LISTS_ANYTHING)] * 3, "answers every blacklist query, even for names no list lists"),
    ([_broken("a", NXD), _broken("b", ProbeFailure.LISTS_ANYTHING)], ""),
    ([_broken("a", NXD), Probe(zone="b", status=ProbeStatus.OK)], ""),
    ([_broken("a", NXD), Probe(zone="b", status=ProbeStatus.INCONCLUSIVE, reason="probe timeout")], ""),
    ([_broken("a", NXD)], ""),
    ([Probe(zone="a", status=ProbeStatus.OK)] * 2, ""),
], ids=["all-nxdomain", "all-wildcard", "two-ways", "one-ok", "one-inconclusive", "one-zone", "all-ok"])
def test_resolver_fault_only_when_every_zone_fails_alike(probes: list[Probe], fault: str) -> None:
    assert resolver_fault(probes) == fault


def test_judge_probes_tells_how_a_zone_failed() -> None:
    assert judge_probes(ZEN, NX, NX, NX).failure is NXD
    assert judge_probes(ZEN, _lookup(LookupStatus.NODATA), NX, NX).failure is ProbeFailure.TEST_ENTRY_NODATA
    assert judge_probes(ZEN, OK, OK, NX).failure is ProbeFailure.LISTS_ANYTHING
    assert judge_probes(ZEN, OK, NX, NX).failure is ProbeFailure.NONE


@pytest.mark.parametrize("status", [ListingStatus.LISTED, ListingStatus.NOT_LISTED])
def test_answers_through_a_resolver_at_fault_blame_the_resolver(status: ListingStatus) -> None:
    result = ZoneResult(zone="z", list="Z", status=status, txt="t")
    shown = trust(result, _broken("z", NXD), fault="answers NXDOMAIN for every blacklist's test entry")
    assert (shown.status, shown.problem, shown.txt) == (ListingStatus.ERROR, "resolver at fault", "")
    assert "dead" not in shown.meaning and "sanity probe" not in shown.meaning


def test_trusted_zone_answers_pass() -> None:
    result = ZoneResult(zone="z", list="Z", status=ListingStatus.LISTED)
    assert trust(result, Probe(zone="z", status=ProbeStatus.OK)) is result


# --------------------------------------------------------------------------- against the server


def _by_zone(results: tuple[ZoneResult, ...]) -> dict[str, ZoneResult]:
    return {r.zone: r for r in results}


def test_listed_ip_with_txt(check: Check) -> None:
    result = check(LISTED_IP)
    assert result.verdict is Verdict.LISTED
    (ip,) = result.ips
    zones = _by_zone(ip.results)
    assert list(zones) == [z.zone for z in CATALOGUE if z.type is ZoneType.IP]
    zen = zones["zen.spamhaus.org"]
    assert (zen.status, zen.codes) == (ListingStatus.LISTED, ("127.0.0.2", "127.0.0.10"))
    assert zen.txt == "https://check.spamhaus.org/sbl/query/SBL0001"
    assert zones["bl.spamcop.net"].delist_url == f"https://www.spamcop.net/bl.shtml?{LISTED_IP}"
    assert zones["dnsbl-2.uceprotect.net"].status is ListingStatus.LISTED
    assert zones["dnsbl-2.uceprotect.net"].informational
    assert zones["psbl.surriel.com"].status is ListingStatus.NOT_LISTED
    assert ip.ptr == "spam.example.net"
    assert result.broken_zones == ()


def test_clean_ip(check: Check) -> None:
    result = check(CLEAN_IP)
    assert result.verdict is Verdict.CLEAN
    assert {r.status for r in result.ips[0].results} == {ListingStatus.NOT_LISTED}


def test_pbl_is_policy(check: Check) -> None:
    zen = _by_zone(check(PBL_IP).ips[0].results)["zen.spamhaus.org"]
    assert zen.status is ListingStatus.LISTED and "policy, not spam" in zen.meaning


def test_ipv6_uses_32_nibbles(check: Check, dns_server: DNSServer) -> None:
    result = check(LISTED_IP6)
    assert _by_zone(result.ips[0].results)["zen.spamhaus.org"].status is ListingStatus.LISTED
    asked = [name for name, _ in dns_server.world.asked("zen.spamhaus.org") if not name.startswith(("2.0.0", "1.0.0"))]
    assert any(len(name.removesuffix(".zen.spamhaus.org").split(".")) == 32 for name in asked)


def test_an_ipv4_mapped_address_is_asked_as_its_ipv4_address(check: Check, dns_server: DNSServer) -> None:
    result = check(MAPPED_IP6)
    assert result.ips[0].ip == "192.0.2.98"
    assert _by_zone(result.ips[0].results)["zen.spamhaus.org"].status is ListingStatus.LISTED
    assert dns_server.world.asked("98.2.0.192.zen.spamhaus.org")


def test_only_listed_answers_fetch_txt(check: Check, dns_server: DNSServer) -> None:
    check(LISTED_IP)
    txt = [n for n, t in dns_server.world.queries if t == "TXT"]
    assert sorted(txt) == sorted(f"99.2.0.192.{z}" for z in ("zen.spamhaus.org", "bl.spamcop.net",
                                                             "dnsbl-2.uceprotect.net"))


def test_public_resolver_refusal_is_an_error_with_the_dqs_fix(check: Check, dns_server: DNSServer) -> None:
    dns_server.world.refuse_like_spamhaus()
    result = check(LISTED_IP)
    zen = _by_zone(result.ips[0].results)["zen.spamhaus.org"]
    assert zen.status is ListingStatus.ERROR and zen.codes == ("127.255.255.254",)
    assert "zen.spamhaus.org" not in result.broken_zones
    assert any("spamhaus_dqs_key_env" in note and "DQS" in note for note in result.notes)
    assert result.verdict is Verdict.LISTED  # SpamCop still lists it
    clean = check(CLEAN_IP)
    assert clean.verdict is Verdict.UNKNOWN  # a refusal is never "clean"


def test_uribl_refusal(check: Check, dns_server: DNSServer) -> None:
    dns_server.world.rule("multi.uribl.com", Behaviour.WILDCARD, a="127.0.0.1")
    result = check("example.com")
    uribl = _by_zone(result.domain_results)["multi.uribl.com"]
    assert uribl.status is ListingStatus.ERROR and "refused" in uribl.meaning
    assert any("own caching resolver" in note for note in result.notes)
    assert result.verdict is Verdict.UNKNOWN


def _extra_zone(name: str, kind: str = "ip") -> dict[str, object]:
    return {"zones": [{"zone": name, "name": name.split(".")[0], "type": kind}]}


def test_dead_zone_is_broken_and_never_shown_as_listing(check: Check) -> None:
    result = check(CLEAN_IP, dns=_extra_zone(DEAD_ZONE))
    dead = _by_zone(result.ips[0].results)[DEAD_ZONE]
    assert dead.status is ListingStatus.ERROR and "sanity probe" in dead.meaning
    assert result.broken_zones == (DEAD_ZONE,)
    assert f"{DEAD_ZONE} ignored: it answers 127.0.0.2 for 127.0.0.1: dead or wildcard zone" in result.notes
    assert result.verdict is Verdict.CLEAN  # the broken zone is reported, not counted


def test_empty_zone_is_broken(check: Check) -> None:
    result = check(CLEAN_IP, dns=_extra_zone(EMPTY_ZONE))
    assert _by_zone(result.ips[0].results)[EMPTY_ZONE].status is ListingStatus.ERROR
    assert result.broken_zones == (EMPTY_ZONE,)


@pytest.mark.parametrize(("zone", "word"), [(SERVFAIL_ZONE, "SERVFAIL"), (REFUSED_ZONE, "REFUSED")])
def test_server_failures_are_errors_not_clean(check: Check, zone: str, word: str) -> None:
    result = check(CLEAN_IP, dns=_extra_zone(zone))
    failed = _by_zone(result.ips[0].results)[zone]
    assert failed.status is ListingStatus.ERROR and word in failed.meaning
    assert result.verdict is Verdict.UNKNOWN
    assert result.broken_zones == ()


def test_silent_zone_times_out_and_the_rest_is_reported(check: Check) -> None:
    started = time.perf_counter()
    result = check(LISTED_IP, dns={**_extra_zone(SILENT_ZONE), "timeout": "0.5s"})
    assert time.perf_counter() - started < 0.5 + 0.3
    zones = _by_zone(result.ips[0].results)
    assert zones[SILENT_ZONE].status is ListingStatus.TIMEOUT
    assert zones["zen.spamhaus.org"].status is ListingStatus.LISTED
    assert result.verdict is Verdict.LISTED


def test_domain_lists(check: Check) -> None:
    result = check("spammy.example")
    zones = _by_zone(result.domain_results)
    assert [z.status for z in zones.values()] == [ListingStatus.LISTED] * 3
    assert zones["multi.uribl.com"].meaning.startswith("black")
    assert result.verdict is Verdict.LISTED


def test_dqs_key_moves_spamhaus_queries(check: Check, dns_server: DNSServer) -> None:
    result = check(DQS_LISTED_IP, dns={"spamhaus_dqs_key_env": "DQS"}, env={"DQS": DQS_KEY})
    zen = _by_zone(result.ips[0].results)["zen.spamhaus.org"]
    assert zen.status is ListingStatus.LISTED and "XBL" in zen.meaning
    assert not dns_server.world.asked("zen.spamhaus.org")
    assert dns_server.world.asked(f"{DQS_KEY}.zen.dq.spamhaus.net")
    assert DQS_KEY not in repr(result)


def test_probes_are_cached(dns_server: DNSServer) -> None:
    resolver = Resolver(dns_server.settings())

    async def run() -> None:
        await Blacklists(resolver, CATALOGUE).check(CLEAN_IP, ZoneType.IP)

    asyncio.run(run())
    first = len(dns_server.world.queries)
    asyncio.run(run())
    assert len(dns_server.world.queries) == first  # probes and answers both from cache


def test_queries_run_concurrently(check: Check, dns_server: DNSServer) -> None:
    dns_server.world.delay = 0.2
    started = time.perf_counter()
    check(CLEAN_IP)
    assert time.perf_counter() - started < 0.2 * 1.5 + 0.1


def test_only_loopback_is_ever_asked(dns_server: DNSServer) -> None:
    assert dns_server.settings().nameservers == (f"127.0.0.1:{dns_server.port}",)


@given(st.ip_addresses())
def test_reverse_labels_round_trip(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    labels = reverse_labels(str(address)).split(".")
    if address.version == 4:
        assert ipaddress.ip_address(".".join(reversed(labels))) == address
    else:
        assert len(labels) == 32
        assert bytes.fromhex("".join(reversed(labels))) == address.packed
