"""Each likely cause from a window that shows it, with the evidence in numbers and the next steps."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.models import Cause, CheckResult, IPCheck, ListingStatus, Posture, ZoneResult
from bot.monitor.diagnosis import diagnose
from bot.monitor.rates import SenderCount, WindowStats
from tests.monitor.conftest import DOMAIN, T0

HOUR = timedelta(hours=1)


def stats(**values: object) -> WindowStats:
    return WindowStats(domain=DOMAIN, start=T0 - HOUR, end=T0, threshold=50, **values)  # type: ignore[arg-type]


def zone(zone: str, name: str, status: ListingStatus, *, codes: tuple[str, ...] = (), meaning: str = "",
         delist: str = "") -> ZoneResult:
    return ZoneResult(zone=zone, list=name, status=status, codes=codes, meaning=meaning, delist_url=delist)


CLEAN = ListingStatus.NOT_LISTED
ZEN_LISTED = zone("zen.spamhaus.org", "Spamhaus ZEN", ListingStatus.LISTED, codes=("127.0.0.2",), meaning="SBL",
                  delist="https://check.spamhaus.org/")


def check(*results: ZoneResult, dmarc: str | None = "none", spf_ips: tuple[str, ...] = ("192.0.2.10",)) -> CheckResult:
    posture = Posture(spf_record="v=spf1 ip4:192.0.2.10 -all", dmarc_record=f"v=DMARC1; p={dmarc}" if dmarc else None,
                      dmarc_policy=dmarc)
    ips = tuple(IPCheck(ip=ip, sources=("spf",), results=results) for ip in spf_ips)
    return CheckResult(target=DOMAIN, target_type="domain", checked_at=T0, ips=ips, posture=posture)


CLEAN_CHECK = check(zone("zen.spamhaus.org", "Spamhaus ZEN", CLEAN), zone("b.barracudacentral.org", "Barracuda", CLEAN))


def test_backscatter_names_the_share_the_first_hop_and_the_dmarc_fix() -> None:
    window = stats(total=412, spoofed=358, ours=20, unknown=34, by_reason=(("userunknown", 300), ("filtered", 112)),
                   spoofed_first_hops=(("203.0.113.7", 300),))
    diagnosis = diagnose(window, CLEAN_CHECK, HOUR)
    assert diagnosis.cause is Cause.BACKSCATTER
    assert diagnosis.evidence[0] == ("87 % of the 412 bounced messages were not sent through our servers "
                                     "(first hop 203.0.113.7 is not in example.com's SPF).")
    assert diagnosis.next_steps[0] == ("DMARC is p=none, so receivers accept mail forged in our name: "
                                       "move to p=quarantine, then p=reject.")


@pytest.mark.parametrize(("dmarc", "advice"), [
    ("quarantine", "move to p=reject"), ("reject", "already p=reject"), (None, "has no DMARC record")])
def test_backscatter_advice_follows_the_dmarc_policy(dmarc: str | None, advice: str) -> None:
    window = stats(total=100, spoofed=90, ours=10)
    assert advice in diagnose(window, check(dmarc=dmarc), HOUR).next_steps[0]


def test_backscatter_without_a_check_says_how_to_look() -> None:
    diagnosis = diagnose(stats(total=100, spoofed=90, ours=10, spoofed_first_hops=(("203.0.113.7", 90),)), None, HOUR)
    assert "first hop 203.0.113.7 is not one of our servers" in diagnosis.evidence[0]
    assert "bouncecheck check example.com" in diagnosis.next_steps[0]


def test_blacklisted_names_the_listing_the_clean_lists_the_delist_link_and_the_citing_bounces() -> None:
    listed = check(ZEN_LISTED, zone("b.barracudacentral.org", "Barracuda", CLEAN),
                   zone("bl.spamcop.net", "SpamCop", CLEAN))
    window = stats(total=90, ours=90, by_reason=(("blocked", 70), ("userunknown", 20)),
                   by_reason_own=(("blocked", 70), ("userunknown", 20)),
                   by_blocklist=(("zen.spamhaus.org", 58),), citing_blocklists=58)
    diagnosis = diagnose(window, listed, HOUR)
    assert diagnosis.cause is Cause.BLACKLISTED
    assert diagnosis.evidence[0] == ("192.0.2.10 is listed on Spamhaus ZEN (SBL, code 127.0.0.2); "
                                     "Barracuda and SpamCop are clean.")
    assert diagnosis.evidence[1] == "Of the 90 bounces, 58 cite zen.spamhaus.org."
    assert any("Spamhaus ZEN: https://check.spamhaus.org/" in step for step in diagnosis.next_steps)


def test_blacklisted_from_citing_bounces_alone_says_our_ips_were_clean() -> None:
    window = stats(total=100, ours=100, by_reason=(("blocked", 100),), by_reason_own=(("blocked", 100),),
                   by_blocklist=(("bl.spamcop.net", 80),), citing_blocklists=80, citing_blocklists_own=80)
    diagnosis = diagnose(window, CLEAN_CHECK, HOUR)
    assert diagnosis.cause is Cause.BLACKLISTED
    assert any("were not listed" in line for line in diagnosis.evidence)


def test_compromised_sender_names_the_account_its_volume_and_spread() -> None:
    window = stats(total=1400, ours=1400, by_reason=(("spamdetected", 700), ("userunknown", 700)),
                   by_reason_own=(("spamdetected", 700), ("userunknown", 700)),
                   by_sender=(SenderCount(sender="alice@example.com", bounces=1240, recipient_domains=830),
                              SenderCount(sender="news@example.com", bounces=160, recipient_domains=3)))
    diagnosis = diagnose(window, CLEAN_CHECK, HOUR)
    assert diagnosis.cause is Cause.COMPROMISED_SENDER
    assert diagnosis.evidence[0] == ("alice@example.com sent 1,240 of the 1,400 bounced messages to 830 domains "
                                     "in the last hour.")
    assert diagnosis.next_steps[0] == "Lock the account alice@example.com, reset its password and end its sessions."


def test_bad_recipients_on_our_own_mail() -> None:
    window = stats(total=400, ours=400, hard=380, by_reason=(("userunknown", 280), ("hostunknown", 32),
                                                             ("mailboxfull", 88)),
                   by_reason_own=(("userunknown", 280), ("hostunknown", 32), ("mailboxfull", 88)),
                   by_sender=(SenderCount(sender="news@example.com", bounces=390, recipient_domains=200),))
    diagnosis = diagnose(window, CLEAN_CHECK, HOUR)
    assert diagnosis.cause is Cause.BAD_RECIPIENTS
    assert diagnosis.evidence[0] == ("312 of the 400 bounces of our own mail (78 %) are addresses that do not "
                                     "exist (userunknown 280, hostunknown 32).")
    assert "news@example.com (390, to 200 domains)" in diagnosis.evidence[1]


def test_remote_problem_names_the_failing_receiver() -> None:
    window = stats(total=300, ours=300, by_reason=(("systemerror", 280), ("expired", 20)),
                   by_reason_own=(("systemerror", 280), ("expired", 20)),
                   by_recipient_domain=(("bigmail.example", 270), ("other.example", 30)),
                   by_reporting_mta=(("mx.bigmail.example", 270),))
    diagnosis = diagnose(window, CLEAN_CHECK, HOUR)
    assert diagnosis.cause is Cause.REMOTE_PROBLEM
    assert diagnosis.evidence[0] == "270 of the 300 bounces (90 %) come from one receiving domain, bigmail.example."
    assert "bigmail.example" in diagnosis.next_steps[0]


def test_nothing_dominant_is_mixed() -> None:
    window = stats(total=100, ours=60, spoofed=20, unknown=20,
                   by_reason=(("mailboxfull", 40), ("userunknown", 30), ("expired", 30)),
                   by_reason_own=(("mailboxfull", 40), ("userunknown", 20), ("expired", 20)),
                   by_recipient_domain=(("a.example", 30), ("b.example", 30), ("c.example", 40)))
    diagnosis = diagnose(window, CLEAN_CHECK, HOUR)
    assert diagnosis.cause is Cause.MIXED
    assert diagnosis.evidence[0].startswith("100 bounces in the last hour: 60 of our own mail, 20 of forged mail")
    assert diagnosis.next_steps


def test_informational_and_broken_zones_are_not_listings() -> None:
    info = ZoneResult(zone="dnsbl-2.uceprotect.net", list="UCEPROTECT L2", status=ListingStatus.LISTED,
                      informational=True)
    broken = zone("dead.example", "Dead list", ListingStatus.LISTED)
    result = check(info, broken)
    result = CheckResult(target=DOMAIN, target_type="domain", checked_at=T0, ips=result.ips,
                         posture=result.posture, broken_zones=("dead.example",))
    assert diagnose(stats(total=60, ours=60, by_reason=(("mailboxfull", 60),)), result, HOUR).cause is Cause.MIXED


def test_a_second_cause_is_not_lost_behind_the_first() -> None:
    # A backscatter flood while our own mail is refused by receivers citing Spamhaus.
    window = stats(total=300, spoofed=250, ours=50, citing_blocklists=36, citing_blocklists_own=36,
                   by_blocklist=(("zen.spamhaus.org", 36),), spoofed_first_hops=(("203.0.113.7", 250),))
    diagnosis = diagnose(window, None, HOUR)
    assert diagnosis.cause is Cause.BACKSCATTER
    assert any(line.startswith("Also blacklisted:") for line in diagnosis.evidence)
    assert "36 cite zen.spamhaus.org" in " ".join(diagnosis.evidence)
    assert any(step.startswith("For the blacklisted part:") for step in diagnosis.next_steps)


def test_a_flood_mostly_of_unknown_origin_names_no_cause_it_cannot_back() -> None:
    # 60 bounces, 50 of which could not be placed: they must not make a "bad list" of our own mail.
    window = stats(total=60, ours=10, unknown=50, unknown_why=(("no_servers", 38), ("no_original", 12)),
                   by_reason=(("userunknown", 60),), by_reason_own=(("userunknown", 10),))
    diagnosis = diagnose(window, CLEAN_CHECK, HOUR)
    assert diagnosis.cause is Cause.UNKNOWN_ORIGIN
    assert diagnosis.evidence[0] == (
        "83 % of the 60 bounces could not be placed as our mail or forged mail: 38 need our servers, which are "
        "not known (no [monitor] sending_ips, SPF not learned yet); 12 quote none of the original's headers.")
    assert any("sending_ips" in step for step in diagnosis.next_steps)
    assert any("do not clean lists" in step for step in diagnosis.next_steps)
    # What the 10 placed bounces show is still said, as what it is: about 10 bounces, not 60.
    assert "Also bad_recipients: 10 of the 10 bounces of our own mail (100 %) are addresses that do not exist " \
           "(userunknown 10)." in diagnosis.evidence


def test_unknown_origin_is_not_counted_as_ours() -> None:
    # 30 of our own userunknown bounces and 25 unplaced: a bad list, and the unplaced are said apart.
    window = stats(total=55, ours=30, unknown=25, unknown_why=(("no_original", 25),),
                   by_reason=(("userunknown", 55),), by_reason_own=(("userunknown", 30),))
    diagnosis = diagnose(window, CLEAN_CHECK, HOUR)
    assert diagnosis.cause is Cause.BAD_RECIPIENTS
    assert diagnosis.evidence[0].startswith("30 of the 30 bounces of our own mail (100 %)")
    assert diagnosis.evidence[-1] == ("25 of the 55 bounces are of unknown origin (25 quote none of the original's "
                                      "headers): counted as neither ours nor forged.")


def test_mostly_unknown_with_a_listing_still_shows_the_listing() -> None:
    window = stats(total=60, unknown=60, unknown_why=(("no_original", 60),), by_reason=(("blocked", 60),))
    diagnosis = diagnose(window, check(ZEN_LISTED), HOUR)
    assert diagnosis.cause is Cause.UNKNOWN_ORIGIN
    assert any(line.startswith("Also blacklisted: 192.0.2.10 is listed on Spamhaus ZEN") for line in diagnosis.evidence)
