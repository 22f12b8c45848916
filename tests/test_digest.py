"""The digest: its period, its numbers against the store, one message per route channel, exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select

from bot.config import DigestSettings, Settings, settings_from_mapping
from bot.digest import Digest, DomainDigest, IncidentLine, period_of, read_digest
from bot.models import (
    UNSAVED_ID,
    Cause,
    Delisted,
    EventData,
    Incident,
    IncidentEvent,
    IncidentKind,
    IncidentState,
    Listed,
    Listing,
    Opened,
    ResolutionOutcome,
    Resolved,
)
from bot.slack.digest_blocks import DOMAINS_PER_MESSAGE, digest_messages
from bot.slack.digest_post import DIGEST_GRACE, digest_key, queue_due_digests
from bot.slack.text_render import render_text
from bot.store import incidents_store
from bot.store.database import open_engine
from bot.store.schema import bounces, incident_events, incidents, outbox
from tests.monitor.conftest import add_bounces, spread
from tests.servers.postgres import pg_url

__all__ = ["pg_url"]

BERLIN = "Europe/Berlin"
BERLIN_TZ = ZoneInfo(BERLIN)
# "mon 09:00" Europe/Berlin: the slot of Mon 9 March 2026 (CET, UTC+1) and the one before it.
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
END = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
WEEK = END - START
DOMAIN, OTHER = "example.com", "example.net"
ZEN = Listing(target="192.0.2.10", zone="zen.spamhaus.org")
SPAMCOP = Listing(target="192.0.2.11", zone="bl.spamcop.net")
OLD = Listing(target="192.0.2.12", zone="b.barracudacentral.org")
DUE = END + DIGEST_GRACE  # when the slot END's digest is read


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = (f"sqlite:///{tmp_path / 'bouncecheck.db'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_url"))
    engine = open_engine(url)
    yield engine
    engine.dispose()


def digest_settings(schedule: str, *, routed: bool = False, domains: tuple[str, ...] = (DOMAIN, OTHER)) -> Settings:
    """Both domains in C0MAIN, or (routed) example.net in C0NET by a route."""
    routes = [{"domains": [OTHER], "channel": "C0NET"}] if routed else []
    return settings_from_mapping({"monitor": {"domains": list(domains)}, "slack": {"channel": "C0MAIN"},
                                  "routes": routes, "digest": {"schedule": schedule, "timezone": BERLIN}}, "test")


# --------------------------------------------------------------------------- the period


@pytest.mark.parametrize(("now", "start", "end"), [
    # Winter: 09:00 CET is 08:00 UTC; a week of 168 hours.
    (datetime(2026, 3, 10, 12, 0, tzinfo=UTC), START, END),
    (END, START, END),  # at the slot itself: that slot's digest is due
    (END - timedelta(seconds=1), START - WEEK, START),
    # Spring forward (Sun 29 March): from 08:00 UTC to 07:00 UTC, a week of 167 hours.
    (datetime(2026, 3, 31, 0, 0, tzinfo=UTC), datetime(2026, 3, 23, 8, 0, tzinfo=UTC),
     datetime(2026, 3, 30, 7, 0, tzinfo=UTC)),
    # Fall back (Sun 25 October): from 07:00 UTC to 08:00 UTC, a week of 169 hours.
    (datetime(2026, 10, 27, 0, 0, tzinfo=UTC), datetime(2026, 10, 19, 7, 0, tzinfo=UTC),
     datetime(2026, 10, 26, 8, 0, tzinfo=UTC)),
], ids=["winter", "at-the-slot", "just-before-the-slot", "spring-forward", "fall-back"])
def test_weekly_period_keeps_local_time_across_dst(now: datetime, start: datetime, end: datetime) -> None:
    period = period_of(DigestSettings(schedule="mon 09:00", timezone=BERLIN), now)
    assert period == (start, end)
    assert period[1].astimezone(BERLIN_TZ).strftime("%a %H:%M") == "Mon 09:00"


@pytest.mark.parametrize(("timezone", "now", "start", "end"), [
    ("UTC", datetime(2026, 3, 10, 8, 29, tzinfo=UTC), datetime(2026, 3, 8, 8, 30, tzinfo=UTC),
     datetime(2026, 3, 9, 8, 30, tzinfo=UTC)),
    ("UTC", datetime(2026, 3, 10, 8, 30, tzinfo=UTC), datetime(2026, 3, 9, 8, 30, tzinfo=UTC),
     datetime(2026, 3, 10, 8, 30, tzinfo=UTC)),
    # The day of the spring change has 23 hours: 08:30 CET (07:30 UTC) to 08:30 CEST (06:30 UTC).
    (BERLIN, datetime(2026, 3, 29, 12, 0, tzinfo=UTC), datetime(2026, 3, 28, 7, 30, tzinfo=UTC),
     datetime(2026, 3, 29, 6, 30, tzinfo=UTC)),
], ids=["utc-before-the-slot", "utc-at-the-slot", "berlin-23-hour-day"])
def test_daily_period(timezone: str, now: datetime, start: datetime, end: datetime) -> None:
    assert period_of(DigestSettings(schedule="daily 08:30", timezone=timezone), now) == (start, end)


def test_a_slot_in_the_spring_forward_gap_closes_a_real_period() -> None:
    # 02:30 does not exist in Berlin on Sun 29 March 2026 (02:00 CET → 03:00 CEST at 01:00 UTC); read as
    # 01:30 UTC. At 01:10 UTC that slot is still ahead: the period is the day before's.
    start, end = datetime(2026, 3, 27, 1, 30, tzinfo=UTC), datetime(2026, 3, 28, 1, 30, tzinfo=UTC)
    settings = DigestSettings(schedule="daily 02:30", timezone=BERLIN)
    assert period_of(settings, datetime(2026, 3, 29, 1, 10, tzinfo=UTC)) == (start, end)
    assert period_of(settings, datetime(2026, 3, 29, 1, 30, tzinfo=UTC)) == (end, end + timedelta(days=1))


def test_no_schedule_no_period() -> None:
    assert period_of(DigestSettings(), END) is None


# --------------------------------------------------------------------------- the numbers


def store_incident(engine: Engine, incident: Incident, *events: tuple[datetime, EventData, str | None]) -> int:
    """An incident in its final state and its events, written as the monitor writes them."""
    with engine.begin() as conn:
        saved, _ = incidents_store.save(conn, None, incident, [
            IncidentEvent(incident_id=UNSAVED_ID, at=at, data=data, actor=actor) for at, data, actor in events])
    return saved.id


def an_incident(opened_at: datetime, **fields: Any) -> Incident:
    values: dict[str, Any] = {"id": UNSAVED_ID, "domain": DOMAIN, "state": IncidentState.RESOLVED,
                              "cause": Cause.BAD_RECIPIENTS, "opened_at": opened_at, "updated_at": opened_at,
                              "bounces_in_window": 60, "threshold": 50, "peak": 60}
    return Incident(**(values | fields))


def opened(cause: Cause, *listings: Listing, kind: IncidentKind = IncidentKind.FLOOD) -> Opened:
    return Opened(count=60, threshold=50, cause=cause, listings=listings, incident_kind=kind)


@pytest.fixture
def week(engine: Engine) -> dict[str, int]:
    """A week of bounces, incidents and listings around the period [START, END), and the incidents' ids."""
    day = timedelta(days=1)
    add_bounces(engine, spread(START, END, 30), reason="mailboxfull")
    add_bounces(engine, spread(START + day, START + 2 * day, 12), reason="blocked")
    add_bounces(engine, [START, START + day, END - timedelta(microseconds=1)], reason="userunknown")  # both edges
    add_bounces(engine, END, count=4, reason="blocked")  # the next period's
    add_bounces(engine, START + day, count=5, action="delayed")  # delay warnings: never counted
    add_bounces(engine, START + day, count=9, domain=OTHER, recipient_domain="example.org")
    add_bounces(engine, spread(START - WEEK, START, 20), reason="userunknown")  # the period before
    add_bounces(engine, START - WEEK - day, count=7)  # before that: in neither
    ids = {
        # Opened the week before, resolved in the period by a person who said the cause was right.
        "resolved": store_incident(
            engine, an_incident(START - day, cause=Cause.BLACKLISTED, resolved_at=START + day,
                                resolved_by="U0PERSON1", resolution=ResolutionOutcome.CONFIRMED,
                                resolution_note="Moved mail off the listed IP"),
            (START - day, opened(Cause.BLACKLISTED, OLD), None),
            (START + day, Resolved(by_person=True, outcome=ResolutionOutcome.CONFIRMED), "U0PERSON1")),
        # Opened and resolved (automatically) in the period.
        "both": store_incident(
            engine, an_incident(START + 2 * day, resolved_at=START + 2 * day + timedelta(hours=3)),
            (START + 2 * day, opened(Cause.BAD_RECIPIENTS), None),
            (START + 2 * day + timedelta(hours=3), Resolved(by_person=False), None)),
        # Before the period altogether.
        "old": store_incident(
            engine, an_incident(START - 3 * day, resolved_at=START - 2 * day),
            (START - 3 * day, opened(Cause.BAD_RECIPIENTS), None),
            (START - 2 * day, Listed(listing=OLD), None)),
        # Opened in the period by a listing, another seen later, the first cleared; still open.
        "listing": store_incident(
            engine, an_incident(START + 3 * day, state=IncidentState.OPEN, kind=IncidentKind.LISTING,
                                cause=Cause.BLACKLISTED, listings=(SPAMCOP,)),
            (START + 3 * day, opened(Cause.BLACKLISTED, ZEN, kind=IncidentKind.LISTING), None),
            (START + 4 * day, Listed(listing=SPAMCOP), None),
            (START + 5 * day, Delisted(listing=ZEN), None),
            (END, Listed(listing=OLD), None)),  # at the slot: the next period's
    }
    store_incident(engine, an_incident(START + day, domain=OTHER, resolved_at=START + 2 * day),
                   (START + day, opened(Cause.BAD_RECIPIENTS), None))
    return ids


def failed_between(engine: Engine, domain: str, start: datetime, end: datetime) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(bounces).where(
            bounces.c.domain == domain, bounces.c.action == "failed", bounces.c.occurred_at >= start,
            bounces.c.occurred_at < end)) or 0)


def incident_ids(engine: Engine, column: Any, start: datetime, end: datetime) -> list[int]:
    with engine.connect() as conn:
        return list(conn.scalars(select(incidents.c.id).where(
            incidents.c.domain == DOMAIN, column >= start, column < end).order_by(incidents.c.opened_at)))


def listing_keys(engine: Engine, kinds: tuple[str, ...], start: datetime, end: datetime) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(select(incident_events.c.kind, incident_events.c.data)
                            .join(incidents, incidents.c.id == incident_events.c.incident_id)
                            .where(incidents.c.domain == DOMAIN, incident_events.c.kind.in_(kinds),
                                   incident_events.c.at >= start, incident_events.c.at < end)
                            .order_by(incident_events.c.at))
        return [key for kind, data in rows for key in (data["listings"] if kind == "opened" else [data["listing"]])]


def test_digest_numbers_match_the_store(engine: Engine, week: dict[str, int]) -> None:
    digest = read_digest(engine, [DOMAIN, OTHER], START, END)
    ours = digest.of(DOMAIN)

    assert ours.failed == failed_between(engine, DOMAIN, START, END) == 30 + 12 + 3
    assert ours.previous == failed_between(engine, DOMAIN, START - WEEK, START) == 20
    assert ours.change == 25
    assert digest.of(OTHER).failed == failed_between(engine, OTHER, START, END) == 9

    assert [i.id for i in ours.opened] == incident_ids(engine, incidents.c.opened_at, START, END) \
        == [week["both"], week["listing"]]
    assert [i.id for i in ours.resolved] == incident_ids(engine, incidents.c.resolved_at, START, END) \
        == [week["resolved"], week["both"]]
    resolved = ours.resolved[0]
    assert (resolved.cause, resolved.resolved_by, resolved.resolution, resolved.resolution_note) == (
        Cause.BLACKLISTED, "U0PERSON1", ResolutionOutcome.CONFIRMED, "Moved mail off the listed IP")
    assert ours.resolved[1].resolution is None and ours.resolved[1].resolved_by is None

    assert [c.listing.key for c in ours.listed] == listing_keys(engine, ("opened", "listed"), START, END) \
        == [ZEN.key, SPAMCOP.key]
    assert [c.listing.key for c in ours.delisted] == listing_keys(engine, ("delisted",), START, END) == [ZEN.key]
    assert {c.incident_id for c in (*ours.listed, *ours.delisted)} == {week["listing"]}

    with engine.connect() as conn:
        count = func.count()
        reasons = [(str(r), int(n)) for r, n in conn.execute(
            select(bounces.c.reason, count).where(bounces.c.domain == DOMAIN, bounces.c.action == "failed",
                                                  bounces.c.occurred_at >= START, bounces.c.occurred_at < END)
            .group_by(bounces.c.reason).order_by(count.desc()))]
    assert list(ours.top_reasons) == reasons == [("mailboxfull", 30), ("blocked", 12), ("userunknown", 3)]


def test_a_quiet_domain_has_a_digest_of_zeros(engine: Engine) -> None:
    digest = read_digest(engine, [DOMAIN], START, END)
    assert digest.domains == (DomainDigest(domain=DOMAIN),)
    assert digest.of(DOMAIN).quiet


# --------------------------------------------------------------------------- queueing


def queued(engine: Engine) -> list[tuple[str, str | None, dict[str, Any]]]:
    with engine.connect() as conn:
        return [(str(key), channel, dict(payload)) for key, channel, payload in conn.execute(
            select(outbox.c.dedupe_key, outbox.c.channel, outbox.c.payload).order_by(outbox.c.id))]


def test_two_routes_two_messages_each_with_its_own_domains(engine: Engine, week: dict[str, int]) -> None:
    settings = digest_settings("mon 09:00", routed=True)
    assert queue_due_digests(engine, settings, END + timedelta(hours=1)) == 2

    rows = {channel: (key, render_text(payload)) for key, channel, payload in queued(engine)}
    assert set(rows) == {"C0MAIN", "C0NET"}
    main_key, main = rows["C0MAIN"]
    net_key, net = rows["C0NET"]
    assert (main_key, net_key) == (digest_key("C0MAIN", END), digest_key("C0NET", END))
    assert main_key == "digest:C0MAIN:2026-03-09T08:00:00+00:00"
    assert DOMAIN in main and OTHER not in main
    assert OTHER in net and DOMAIN not in net
    assert "9 bounces" in net


def test_one_route_one_message_with_both_domains(engine: Engine) -> None:
    assert queue_due_digests(engine, digest_settings("mon 09:00"), DUE) == 1
    [(key, channel, payload)] = queued(engine)
    assert (key, channel) == (digest_key("C0MAIN", END), "C0MAIN")
    assert DOMAIN in render_text(payload) and OTHER in render_text(payload)


def test_the_same_slot_is_queued_once(engine: Engine) -> None:
    settings = digest_settings("mon 09:00", routed=True)
    assert queue_due_digests(engine, settings, DUE) == 2
    assert queue_due_digests(engine, settings, END + timedelta(hours=3)) == 0  # a later tick, or a restart
    assert queue_due_digests(engine, settings, END + timedelta(days=6)) == 0
    assert len(queued(engine)) == 2


def test_after_downtime_only_the_latest_slot_is_posted(engine: Engine) -> None:
    settings = digest_settings("mon 09:00")
    assert queue_due_digests(engine, settings, DUE) == 1
    # Down from just after that digest until three slots later (16, 23 and 30 March, the last in CEST).
    back = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    assert queue_due_digests(engine, settings, back) == 1
    latest = datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    assert [key for key, _, _ in queued(engine)] == [digest_key("C0MAIN", END), digest_key("C0MAIN", latest)]
    assert "Mon 23 Mar 09:00 CET – Mon 30 Mar 09:00 CEST" in render_text(queued(engine)[1][2])


def test_a_slot_is_read_after_its_grace_so_late_bounces_count(engine: Engine) -> None:
    settings = digest_settings("mon 09:00", domains=(DOMAIN,))
    assert queue_due_digests(engine, settings, END) == 0, "at the slot the period's last bounces are still coming"
    assert queue_due_digests(engine, settings, DUE - timedelta(seconds=1)) == 0
    assert queued(engine) == [], "nor is the slot before posted instead"
    add_bounces(engine, END - timedelta(minutes=1), count=3)  # a DSN that came in after the slot
    assert queue_due_digests(engine, settings, DUE) == 1
    [(key, _, payload)] = queued(engine)
    assert key == digest_key("C0MAIN", END)
    text = render_text(payload, width=200)
    assert "📈 3 bounces, previous week 0" in text
    assert "counted at 2026-03-09 08:10 UTC" in text


def test_a_channel_with_many_domains_gets_every_one_in_parts(engine: Engine) -> None:
    domains = tuple(f"d{n:02}.example" for n in range(40))
    assert queue_due_digests(engine, digest_settings("mon 09:00", domains=domains), DUE) == 3
    rows = queued(engine)
    assert [key for key, _, _ in rows] == [digest_key("C0MAIN", END), f"{digest_key('C0MAIN', END)}:2",
                                           f"{digest_key('C0MAIN', END)}:3"]
    assert digest_key("C0MAIN", END, 2) == "digest:C0MAIN:2026-03-09T08:00:00+00:00:2"
    texts = [render_text(payload, width=200) for _, _, payload in rows]
    for n, text in enumerate(texts, 1):
        assert text.splitlines()[0].endswith(f"(part {n} of 3)")
        assert "left out" not in text
    shown = [domain for domain in domains if any(domain in text.splitlines() for text in texts)]
    assert shown == list(domains)
    assert [sum(domain in text.splitlines() for domain in domains) for text in texts] == \
        [DOMAINS_PER_MESSAGE, DOMAINS_PER_MESSAGE, 40 - 2 * DOMAINS_PER_MESSAGE]
    assert str(rows[1][2]["text"]).startswith("Bounce digest (part 2 of 3): 0 bounces on 15 domains")
    assert queue_due_digests(engine, digest_settings("mon 09:00", domains=domains), DUE) == 0


def test_no_schedule_queues_nothing(engine: Engine) -> None:
    assert queue_due_digests(engine, digest_settings(""), DUE) == 0
    assert queued(engine) == []


# --------------------------------------------------------------------------- what a reader sees


def test_the_message_reads_well(engine: Engine, week: dict[str, int]) -> None:
    digest = read_digest(engine, [DOMAIN, OTHER], START, END)
    [message] = digest_messages(digest, [DOMAIN], counted_at=DUE, tz=BERLIN_TZ)
    text = render_text(message.payload(), width=200)
    lines = text.splitlines()

    assert lines[0] == "Bounce digest: Mon 2 Mar 09:00 CET – Mon 9 Mar 09:00 CET"
    assert ("Bounces from 2026-03-02 08:00 UTC to 2026-03-09 08:00 UTC, against the week before; "
            "counted at 2026-03-09 08:10 UTC") in text
    assert "example.com" in lines and OTHER not in text
    assert "📈 45 bounces, previous week 20 (change +25, +125%)" in lines
    assert "Top reasons: mailboxfull 30, blocked 12, userunknown 3" in lines
    assert "Incidents opened (2)" in text
    assert (f"• #{week['listing']} listing, likely Blacklisted: our IPs or domain are on a blocklist, opened "
            "2026-03-05 08:00 UTC") in lines
    assert (f"• #{week['resolved']} bounce flood, likely Blacklisted: our IPs or domain are on a blocklist, "
            "resolved by @U0PERSON1 2026-03-03 08:00 UTC: the likely cause (blacklisted) was the cause — "
            "“Moved mail off the listed IP”") in text
    assert f"• #{week['both']} bounce flood, likely Bad recipients" in text
    assert "resolved automatically 2026-03-04 11:00 UTC" in text
    assert "Listings seen (2)" in text and "Listings cleared (1)" in text
    assert f"• 192.0.2.11 on bl.spamcop.net, 2026-03-06 08:00 UTC (incident #{week['listing']})" in lines
    assert message.text == "Bounce digest: 45 bounces on 1 domain (previous week: 20), 2 incidents opened"
    assert all(block["type"] != "section" or "verbatim" in block["text"] for block in message.blocks)


def test_a_quiet_week_says_so() -> None:
    digest = Digest(start=START, end=END, domains=(DomainDigest(domain=DOMAIN, previous=4),))
    [message] = digest_messages(digest, [DOMAIN], counted_at=DUE)
    text = render_text(message.payload())
    assert "Bounce digest: Mon 2 Mar 08:00 UTC – Mon 9 Mar 08:00 UTC" in text
    assert "📉 0 bounces, previous week 4 (change -4, -100%)" in text
    assert "No incidents and no listing changes." in text


def test_what_came_from_people_cannot_ping_or_format() -> None:
    line = IncidentLine(id=7, domain=DOMAIN, kind=IncidentKind.FLOOD, cause=Cause.MIXED, opened_at=START,
                        resolved_at=END - timedelta(hours=1), resolved_by="U0PERSON1",
                        resolution=ResolutionOutcome.FALSE_ALARM, resolution_note="<!channel> *was* a test")
    digest = Digest(start=START, end=END, domains=(DomainDigest(domain=DOMAIN, resolved=(line,)),))
    [message] = digest_messages(digest, [DOMAIN], counted_at=DUE)
    payload = message.payload()
    assert "<!channel>" not in str(payload)
    assert "a false alarm — “&lt;!channel&gt;" in str(payload)
