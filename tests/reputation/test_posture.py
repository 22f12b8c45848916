"""SPF/DMARC posture and its advice: pure rules, then DMARC read through the loopback server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from bot.models import CheckResult, Posture
from bot.reputation.posture import Dmarc, advise, build_posture, check_dmarc
from bot.reputation.resolver import Resolver
from bot.reputation.targets import SpfWalk
from tests.servers.dns import BARE_DOMAIN, SPF_DOMAIN, Behaviour, DNSServer

Check = Callable[..., CheckResult]
GOOD = Posture(spf_record="v=spf1 -all", spf_valid=True, spf_all="-all", spf_lookups=0,
               dmarc_record="v=DMARC1; p=reject; rua=mailto:d@example.com", dmarc_policy="reject",
               dmarc_subdomain_policy="reject", dmarc_rua=("d@example.com",))


@pytest.mark.parametrize(("posture", "says"), [
    (GOOD, None),
    (Posture(spf_valid=False, dmarc_record="v=DMARC1; p=reject", dmarc_policy="reject", dmarc_rua=("a@b",)),
     "No SPF record"),
    (Posture(spf_record="v=spf1 include:x -all", spf_valid=False, spf_error="include loop",
             dmarc_record="v=DMARC1; p=reject", dmarc_policy="reject", dmarc_rua=("a@b",)),
     "SPF is broken (include loop)"),
    (Posture(spf_record="v=spf1 +all", spf_valid=True, spf_all="+all", dmarc_record="x", dmarc_policy="reject",
             dmarc_rua=("a@b",)), "+all"),
    (Posture(spf_record="v=spf1 -all", spf_valid=True, spf_all="-all"), "No DMARC record: anyone can put"),
    (Posture(spf_record="v=spf1 -all", spf_valid=True, spf_all="-all", dmarc_record="v=DMARC1; p=none",
             dmarc_policy="none", dmarc_rua=("a@b",)), "p=none lets anyone use example.com in From:"),
    (Posture(spf_record="v=spf1 -all", spf_valid=True, dmarc_record="v=DMARC1; p=reject", dmarc_policy="reject",
             dmarc_subdomain_policy="none", dmarc_rua=("a@b",)), "sp=none"),
    (Posture(spf_record="v=spf1 -all", spf_valid=True, dmarc_record="v=DMARC1; p=reject", dmarc_policy="reject"),
     "no rua="),
    (Posture(spf_record="v=spf1 -all", spf_valid=True, dmarc_record="v=DMARC1; p=x", dmarc_error="bad p"),
     "DMARC record unusable (bad p)"),
], ids=["good", "no-spf", "broken-spf", "plus-all", "no-dmarc", "p-none", "sp-none", "no-rua", "bad-dmarc"])
def test_advice(posture: Posture, says: str | None) -> None:
    advice = advise("example.com", posture)
    if says is None:
        assert advice == ()
    else:
        assert any(says in line for line in advice), advice


def test_backscatter_is_named() -> None:
    advice = advise("example.com", Posture(spf_record="v=spf1 -all", spf_valid=True))
    assert any("backscatter" in line for line in advice)


def test_no_advice_when_spf_could_not_be_fetched() -> None:
    posture = build_posture("example.com", SpfWalk(temporary_error="SPF lookup timeout"), Dmarc())
    assert posture.spf_valid is None and posture.spf_error == "SPF lookup timeout"
    assert not any("No SPF" in a for a in posture.advice)


def test_records_that_could_not_be_looked_up_get_no_advice() -> None:
    spf = SpfWalk(temporary_error="SPF lookup error: SERVFAIL", lookup_failure="SERVFAIL")
    dmarc = Dmarc(error="DMARC lookup for example.com timeout: no answer within 1s",
                  lookup_failure="timeout (no answer within 1s)")
    posture = build_posture("example.com", spf, dmarc)
    assert (posture.spf_lookup_problem, posture.dmarc_lookup_problem) == ("SERVFAIL", "timeout (no answer within 1s)")
    assert (posture.spf_valid, posture.advice) == (None, ())


def test_a_resolver_at_fault_makes_missing_records_unknown_not_missing() -> None:
    posture = build_posture("example.com", SpfWalk(), Dmarc(), distrust="resolver at fault")
    assert (posture.spf_lookup_problem, posture.dmarc_lookup_problem) == ("resolver at fault", "resolver at fault")
    assert (posture.spf_valid, posture.advice) == (None, ())
    found = build_posture("example.com", SpfWalk(record="v=spf1 -all", all_qualifier="-all"),
                          Dmarc(record="v=DMARC1; p=reject", policy="reject", rua=("a@b",)),
                          distrust="resolver at fault")
    assert (found.spf_lookup_problem, found.dmarc_lookup_problem, found.spf_valid) == ("", "", True)


def test_an_include_that_could_not_be_fetched_is_not_a_broken_record() -> None:
    spf = SpfWalk(record="v=spf1 include:_spf.example.net -all", all_qualifier="-all",
                  errors=("_spf.example.net: SPF lookup timeout (temperror)",))
    posture = build_posture("example.com", spf, Dmarc(record="v=DMARC1; p=reject", policy="reject", rua=("a@b",)))
    assert posture.spf_valid is None
    assert posture.spf_lookup_problem == "_spf.example.net: SPF lookup timeout (temperror)"
    assert not any("broken" in a for a in posture.advice)


def _dmarc(resolver: Resolver, domain: str) -> Dmarc:
    return asyncio.run(check_dmarc(resolver, domain))


def test_dmarc_read_with_checkdmarc(resolver: Resolver) -> None:
    dmarc = _dmarc(resolver, SPF_DOMAIN)
    assert (dmarc.policy, dmarc.subdomain_policy, dmarc.rua, dmarc.error) == ("none", "none",
                                                                              ("dmarc@example.com",), None)


def test_dmarc_of_a_subdomain_comes_from_the_org_domain(resolver: Resolver) -> None:
    dmarc = _dmarc(resolver, f"mail.{SPF_DOMAIN}")
    assert (dmarc.location, dmarc.policy) == (SPF_DOMAIN, "none")


def test_bad_dmarc(dns_server: DNSServer, resolver: Resolver) -> None:
    dns_server.world.add("_dmarc.bad.example", "TXT", "v=DMARC1; p=bogus")
    dmarc = _dmarc(resolver, "bad.example")
    assert dmarc.error and "bogus" in dmarc.error


def test_two_dmarc_records(dns_server: DNSServer, resolver: Resolver) -> None:
    dns_server.world.add("_dmarc.two.example", "TXT", "v=DMARC1; p=none", "v=DMARC1; p=reject")
    assert "2 DMARC records" in str(_dmarc(resolver, "two.example").error)


def test_dmarc_lookup_failure(dns_server: DNSServer, resolver: Resolver) -> None:
    dns_server.world.rule("_dmarc.fail.example", Behaviour.SERVFAIL)
    dmarc = _dmarc(resolver, "fail.example")
    assert dmarc.error and "SERVFAIL" in dmarc.error
    assert dmarc.lookup_failure == "SERVFAIL"


def test_posture_in_a_domain_check(check: Check) -> None:
    posture = check(SPF_DOMAIN).posture
    assert posture is not None
    assert (posture.spf_valid, posture.spf_all, posture.spf_lookups) == (True, "-all", 4)
    assert posture.dmarc_policy == "none"
    bare = check(BARE_DOMAIN).posture
    assert bare is not None and bare.spf_record is None and bare.dmarc_record is None
    assert len(bare.advice) == 2
