"""What may be said of a domain's blacklist status: ✅ only for a recent check that answered, else unknown and why."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.models import BlacklistState, ListingStatus, Verdict, ZoneResult
from bot.monitor.listings import blacklist_status
from bot.store.incidents_store import CheckFailure
from tests.monitor.conftest import DOMAIN, T0, minutes, monitor_settings
from tests.monitor.fakes import OUR_IP, FakeChecker

FRESH = timedelta(minutes=30)
SETTINGS = monitor_settings()


def test_never_checked_is_not_checked_yet() -> None:
    status = blacklist_status(None, None, T0, FRESH)
    assert (status.state, status.why) == (BlacklistState.NOT_CHECKED, "no blacklist check has run yet")


def test_a_recent_complete_check_is_the_only_clean() -> None:
    check = FakeChecker(at=T0 - minutes(10))(DOMAIN, SETTINGS)
    status = blacklist_status(check, None, T0, FRESH)
    assert (status.state, status.lists, status.checked_at) == (BlacklistState.NOT_LISTED, 1, T0 - minutes(10))


def test_a_stale_clean_check_is_unknown() -> None:
    check = FakeChecker(at=T0 - minutes(45))(DOMAIN, SETTINGS)
    status = blacklist_status(check, None, T0, FRESH)
    assert status.state is BlacklistState.UNKNOWN
    assert status.why == "the last complete check was at 2026-03-02 08:15 UTC, more than 30 minutes ago"


def test_a_check_that_could_not_run_is_unknown_whatever_came_before() -> None:
    check = FakeChecker(at=T0 - minutes(20))(DOMAIN, SETTINGS)
    failure = CheckFailure(at=T0 - minutes(1), reason="no blacklist could be checked through 127.0.0.1:53: timeout")
    status = blacklist_status(check, failure, T0, FRESH)
    assert status.state is BlacklistState.UNKNOWN
    assert status.why == ("the check at 2026-03-02 08:59 UTC could not run: no blacklist could be checked through "
                          "127.0.0.1:53: timeout; the last check that ran was at 2026-03-02 08:40 UTC")


def test_lists_that_did_not_answer_make_it_unknown_and_are_named() -> None:
    check = FakeChecker(at=T0)(DOMAIN, SETTINGS)
    silent = ZoneResult(zone="b.barracudacentral.org", list="Barracuda BRBL", status=ListingStatus.TIMEOUT)
    check = replace(check, ips=(replace(check.ips[0], results=(*check.ips[0].results, silent)),),
                    verdict=Verdict.UNKNOWN)
    status = blacklist_status(check, None, T0, FRESH)
    assert status.state is BlacklistState.UNKNOWN
    assert "Barracuda BRBL (timeout)" in status.why


def test_a_listing_is_listed() -> None:
    check = FakeChecker(listed={OUR_IP}, at=T0)(DOMAIN, SETTINGS)
    assert blacklist_status(check, None, T0, FRESH).state is BlacklistState.LISTED
