"""The blacklist watch with a stand-in checker: the first check is a baseline, listings open, delistings post."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine

from bot.config import Settings
from bot.models import BlacklistState, Cause, IncidentState, Listed, Listing
from bot.monitor.watch import watch
from bot.store import incidents_store
from tests.monitor.conftest import DOMAIN, T0, add_bounces, minutes
from tests.monitor.fakes import OUR_IP, FakeChecker

ZEN = Listing(OUR_IP, "zen.spamhaus.org")


def kinds_at(engine: Engine, settings: Settings, checker: FakeChecker, now: datetime) -> list[str]:
    report = watch(engine, settings, now, check=checker)
    return [str(event.kind) for _, events in report.outcomes for event in events]


def test_a_clean_first_check_says_nothing(engine: Engine, settings: Settings) -> None:
    assert kinds_at(engine, settings, FakeChecker(), T0) == []
    with engine.connect() as conn:
        assert incidents_store.latest_checks(conn, [DOMAIN])[DOMAIN].target == DOMAIN


def test_a_listing_opens_an_incident_and_its_delisting_is_posted(engine: Engine, settings: Settings) -> None:
    checker = FakeChecker(listed={OUR_IP})
    assert kinds_at(engine, settings, checker, T0) == ["opened"]  # the first check alerts on listings
    with engine.connect() as conn:
        [incident] = incidents_store.unresolved(conn)
        assert incidents_store.listed_since(conn, DOMAIN, OUR_IP, "zen.spamhaus.org") == T0
    assert (incident.cause, incident.listings) == (Cause.BLACKLISTED, (ZEN,))
    assert kinds_at(engine, settings, checker, T0 + timedelta(hours=1)) == []  # still listed: nothing new
    checker.listed.clear()
    # Quiet since it opened, and now delisted: nothing keeps it open.
    assert kinds_at(engine, settings, checker, T0 + timedelta(hours=2)) == ["delisted", "resolved"]


def test_a_listing_during_a_flood_joins_the_open_incident(engine: Engine, settings: Settings) -> None:
    checker = FakeChecker()
    watch(engine, settings, T0 - minutes(30), check=checker)
    add_bounces(engine, T0 - minutes(10), 80, reason="blocked", cited_blocklists="zen.spamhaus.org")
    report = watch(engine, settings, T0, check=checker)
    assert [str(e.kind) for _, events in report.outcomes for e in events] == ["opened"]
    checker.listed.add(OUR_IP)
    [(incident, events)] = watch(engine, settings, T0 + minutes(20), check=checker).outcomes
    assert [str(e.kind) for e in events] == ["listed"] and events[0].data == Listed(listing=ZEN)
    assert incident.state is IncidentState.OPEN and incident.listings == (ZEN,)


def test_our_ips_from_bounces_are_checked_and_a_failure_is_reported(engine: Engine, settings: Settings) -> None:
    add_bounces(engine, T0 - minutes(10), 3, first_hop_ip="192.0.2.44")
    other = "other.example"
    both = settings.model_copy(update={"monitor": settings.monitor.model_copy(update={"domains": (DOMAIN, other)})})
    checker = FakeChecker(failing={other})
    report = watch(engine, both, T0, check=checker)
    assert checker.calls == [(DOMAIN, ("192.0.2.44",)), (other, ())]
    assert report.failures == ("other.example: the resolver did not answer",)


def test_a_check_that_fails_turns_an_incidents_clean_status_unknown_and_is_no_baseline(
    engine: Engine, settings: Settings
) -> None:
    checker = FakeChecker()
    watch(engine, settings, T0 - minutes(5), check=checker)
    add_bounces(engine, T0 - minutes(3), 80)
    [(incident, _)] = watch(engine, settings, T0, check=checker).outcomes
    assert incident.blacklist is not None and incident.blacklist.state is BlacklistState.NOT_LISTED
    checker.failing.add(DOMAIN)
    report = watch(engine, settings, T0 + minutes(1), check=checker)
    [(incident, _)] = report.outcomes
    assert incident.blacklist is not None and incident.blacklist.state is BlacklistState.UNKNOWN
    assert incident.blacklist.why.startswith(
        "the check at 2026-03-02 09:01 UTC could not run: the resolver did not answer")
    # Listed at the next check that runs: compared with the last check that ran, so it is news once.
    checker.failing.clear()
    checker.listed.add(OUR_IP)
    [(incident, events)] = watch(engine, settings, T0 + minutes(2), check=checker).outcomes
    assert [str(e.kind) for e in events] == ["listed"]
    assert incident.blacklist is not None and incident.blacklist.state is BlacklistState.LISTED
