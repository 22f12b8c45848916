"""Scenarios over a real store and a controlled clock: crafted bounce floods, evaluated tick by tick."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from bot.config import Settings
from bot.models import (
    Cause,
    CheckResult,
    EventKind,
    Grew,
    IncidentEvent,
    IncidentState,
    IPCheck,
    ListingStatus,
    Posture,
    ZoneResult,
)
from bot.monitor import actions
from bot.monitor.evaluate import evaluate
from bot.scan import evaluate_incidents
from bot.store import incidents_store
from bot.store.database import open_engine
from bot.store.schema import incidents
from tests.monitor.conftest import DOMAIN, T0, Bounce, add_bounces, minutes, spread

TICK = minutes(2)


def ticks(start: datetime, end: datetime, every: timedelta = TICK) -> list[datetime]:
    return [start + every * i for i in range(int((end - start) / every) + 1)]


def run(engine: Engine, settings: Settings, moments: Iterable[datetime]) -> list[IncidentEvent]:
    """Evaluate at each moment; every event announced, in order."""
    return [event for now in moments for _, events in evaluate(engine, settings, now) for event in events]


def kinds(events: list[IncidentEvent]) -> list[str]:
    return [str(event.kind) for event in events]


def incident_rows(engine: Engine) -> list[tuple[int, str, str]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(  # type: ignore[misc]
            select(incidents.c.id, incidents.c.domain, incidents.c.state).order_by(incidents.c.id))]


def test_a_flood_opens_exactly_one_incident(engine: Engine, settings: Settings) -> None:
    add_bounces(engine, spread(T0, T0 + minutes(20), 200), reason="userunknown", hard=True)
    events = run(engine, settings, ticks(T0, T0 + minutes(30)))
    assert kinds(events) == ["opened", "grew"]  # 200 reached 1.5 × the opening count after the floor
    assert [(domain, state) for _, domain, state in incident_rows(engine)] == [(DOMAIN, "open")]


def test_growth_posts_a_follow_up(engine: Engine, settings: Settings) -> None:
    add_bounces(engine, spread(T0, T0 + minutes(5), 60))
    assert kinds(run(engine, settings, ticks(T0 + minutes(6), T0 + minutes(20)))) == ["opened"]
    add_bounces(engine, spread(T0 + minutes(21), T0 + minutes(25), 100))
    events = run(engine, settings, ticks(T0 + minutes(26), T0 + minutes(40)))
    assert kinds(events) == ["grew"]
    assert events[0].data == Grew(previous=60, count=160)


def test_the_floor_holds_under_a_sustained_rising_flood(engine: Engine, settings: Settings) -> None:
    # Six hours of a flood that keeps rising: 1 bounce a minute at first, 40 a minute at the end.
    moments = [T0 + minutes(m + k / (1 + m // 9)) for m in range(360) for k in range(1 + m // 9)]
    add_bounces(engine, moments)
    events = run(engine, settings, ticks(T0, T0 + timedelta(hours=6)))
    assert kinds(events)[0] == "opened" and set(kinds(events)[1:]) == {"grew"}
    assert len(events) <= 8  # a handful, from 180 evaluations
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(events)]
    assert all(gap >= settings.monitor.followup_floor for gap in gaps)


def test_quiet_resolves_after_resolve_after_and_a_later_flood_is_a_new_incident(
        engine: Engine, settings: Settings) -> None:
    add_bounces(engine, spread(T0, T0 + minutes(10), 100))
    events = run(engine, settings, ticks(T0 + minutes(10), T0 + timedelta(hours=4)))
    assert kinds(events) == ["opened", "resolved"]
    # 100 bounces in 10 min drop below 50 in the window at T0 + 65 min; resolved 2 h later.
    assert events[1].at == T0 + minutes(66) + timedelta(hours=2)
    add_bounces(engine, spread(T0 + timedelta(hours=5), T0 + timedelta(hours=5, minutes=10), 100))
    later = run(engine, settings, ticks(T0 + timedelta(hours=5, minutes=10), T0 + timedelta(hours=5, minutes=20)))
    assert kinds(later) == ["opened"]
    assert [state for _, _, state in incident_rows(engine)] == ["resolved", "open"]
    assert later[0].incident_id != events[0].incident_id


def test_a_restart_in_the_middle_changes_nothing(tmp_path: Path, settings: Settings) -> None:
    def scenario(path: Path, restart_at: datetime | None) -> tuple[list[tuple[str, datetime]], list[object]]:
        engine = open_engine(f"sqlite:///{path}")
        add_bounces(engine, spread(T0, T0 + minutes(30), 150), reason="userunknown", hard=True)
        add_bounces(engine, spread(T0 + minutes(40), T0 + minutes(50), 300), ours=False,
                    first_hop_ip="203.0.113.7")
        seen: list[IncidentEvent] = []
        for now in ticks(T0, T0 + timedelta(hours=5)):
            if now == restart_at:
                engine.dispose()
                engine = open_engine(f"sqlite:///{path}")
            seen += run(engine, settings, [now])
        rows = incident_rows(engine)
        engine.dispose()
        return [(str(e.kind), e.at) for e in seen], rows

    straight = scenario(tmp_path / "straight.db", None)
    restarted = scenario(tmp_path / "restarted.db", T0 + minutes(44))
    assert restarted == straight
    assert [kind for kind, _ in straight[0]] == ["opened", "grew", "grew", "grew", "cause_changed", "resolved"]


def test_a_high_normal_level_does_not_alert(engine: Engine, settings: Settings) -> None:
    busy = "busy.example"
    both = settings.model_copy(update={"monitor": settings.monitor.model_copy(update={"domains": (DOMAIN, busy)})})
    add_bounces(engine, spread(T0 - timedelta(days=7), T0, 7 * 24 * 100), domain=busy)  # 100 an hour, always
    add_bounces(engine, spread(T0, T0 + minutes(30), 60), domain=busy)  # 160 in the window: not 3 ×
    add_bounces(engine, spread(T0, T0 + minutes(30), 60))  # 60 for a quiet domain: alerts
    events = run(engine, both, [T0 + minutes(30)])
    assert kinds(events) == ["opened"]
    assert [domain for _, domain, _ in incident_rows(engine)] == [DOMAIN]


def _check(*listed_ips: str) -> CheckResult:
    zen = ZoneResult(zone="zen.spamhaus.org", list="Spamhaus ZEN", codes=("127.0.0.2",), meaning="SBL",
                     status=ListingStatus.LISTED)
    clean = ZoneResult(zone="zen.spamhaus.org", list="Spamhaus ZEN", status=ListingStatus.NOT_LISTED)
    return CheckResult(target=DOMAIN, target_type="domain", checked_at=T0,
                       ips=tuple(IPCheck(ip=ip, sources=("spf",), results=(zen if ip in listed_ips else clean,))
                                 for ip in ("192.0.2.10", "192.0.2.11")),
                       posture=Posture(spf_record="v=spf1 ip4:192.0.2.10 ip4:192.0.2.11 -all",
                                       dmarc_record="v=DMARC1; p=none", dmarc_policy="none"))


CAUSE_SETS = {
    Cause.BACKSCATTER: [Bounce(ours=False, first_hop_ip="203.0.113.7", reason="userunknown", hard=True,
                               sender="forged@example.com")],
    Cause.BLACKLISTED: [Bounce(reason="blocked", cited_blocklists="zen.spamhaus.org")],
    Cause.COMPROMISED_SENDER: [Bounce(reason="spamdetected", sender="alice@example.com",
                                      recipient_domain=f"d{n}.example") for n in range(30)],
    Cause.BAD_RECIPIENTS: [Bounce(reason="userunknown", hard=True, recipient_domain=f"d{n}.example")
                           for n in range(10)],
    Cause.REMOTE_PROBLEM: [Bounce(reason="systemerror", recipient_domain="bigmail.example")],
}


@pytest.mark.parametrize("cause", list(CAUSE_SETS), ids=str)
def test_each_cause_is_diagnosed_from_a_set_that_shows_it(engine: Engine, settings: Settings, cause: Cause) -> None:
    shapes = CAUSE_SETS[cause]
    for shape in shapes:
        add_bounces(engine, T0 - minutes(10), 120 // len(shapes), shape)
    if cause is Cause.BLACKLISTED:
        with engine.begin() as conn:
            incidents_store.save_check(conn, DOMAIN, _check("192.0.2.10"))
    [(incident, events)] = evaluate(engine, settings, T0)
    assert kinds(events) == ["opened"]
    assert incident.cause is cause and incident.diagnosis is not None
    assert incident.diagnosis.evidence and incident.diagnosis.next_steps


def test_stored_checks_come_back_as_they_were(engine: Engine) -> None:
    check = _check("192.0.2.10")
    with engine.begin() as conn:
        incidents_store.save_check(conn, DOMAIN, check)
        assert incidents_store.latest_checks(conn, [DOMAIN]) == {DOMAIN: check}


def test_a_person_acting_between_evaluations_is_not_overwritten(engine: Engine, settings: Settings) -> None:
    add_bounces(engine, spread(T0, T0 + minutes(5), 60))
    [(incident, _)] = evaluate(engine, settings, T0 + minutes(5))
    acked = actions.acknowledge(engine, incident.id, by="U1", now=T0 + minutes(6))
    assert acked is not None and kinds(acked[1]) == ["acknowledged"]
    add_bounces(engine, spread(T0 + minutes(6), T0 + minutes(7), 10))
    [(after, _)] = evaluate(engine, settings, T0 + minutes(8))
    assert (after.state, after.acknowledged_by, after.bounces_in_window) == (IncidentState.ACKNOWLEDGED, "U1", 70)
    assert actions.resolve(engine, 999, by="U1", now=T0) is None


def test_a_stale_write_is_a_conflict(engine: Engine, settings: Settings) -> None:
    add_bounces(engine, spread(T0, T0 + minutes(5), 60))
    [(incident, _)] = evaluate(engine, settings, T0 + minutes(5))
    actions.snooze(engine, incident.id, until=T0 + minutes(60), by="U1", now=T0 + minutes(6))
    with pytest.raises(incidents_store.Conflict), engine.begin() as conn:
        incidents_store.save(conn, incident, replace(incident, peak=99), [])
    with engine.connect() as conn:
        events = incidents_store.events_of(conn, incident.id)
    assert kinds(events) == ["opened", "snoozed"]


def test_the_one_open_incident_rule_holds_against_a_second_writer(engine: Engine, settings: Settings) -> None:
    add_bounces(engine, spread(T0, T0 + minutes(5), 60))
    [(first, _)] = evaluate(engine, settings, T0 + minutes(5))
    with pytest.raises(incidents_store.Conflict), engine.begin() as conn:
        incidents_store.save(conn, None, replace(first, id=0), [])
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(incidents)).scalar() == 1


def test_the_scan_summary_lists_incidents_and_their_events(engine: Engine, settings: Settings) -> None:
    add_bounces(engine, spread(T0, T0 + minutes(5), 60), reason="userunknown", hard=True)
    first = evaluate_incidents(settings, engine, T0 + minutes(5))
    second = evaluate_incidents(settings, engine, T0 + minutes(6))
    assert first == [{"id": 1, "domain": DOMAIN, "kind": "flood", "state": "open", "cause": "bad_recipients",
                      "bounces_in_window": 60, "events": ["opened"]}]
    assert second == [{**first[0], "events": []}]


def test_an_incident_of_a_domain_no_longer_monitored_still_resolves(engine: Engine, settings: Settings) -> None:
    add_bounces(engine, spread(T0, T0 + minutes(5), 60))
    evaluate(engine, settings, T0 + minutes(5))
    gone = settings.model_copy(update={"monitor": settings.monitor.model_copy(update={"domains": ()})})
    events = run(engine, gone, ticks(T0 + minutes(10), T0 + timedelta(hours=4), minutes(10)))
    assert kinds(events) == ["resolved"]
    assert EventKind.RESOLVED in {event.kind for event in events}


def test_a_person_acting_during_an_evaluation_wins_and_the_evaluation_runs_again(
        engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL holds the evaluation's row locks: the click waits for it instead")
    add_bounces(engine, spread(T0, T0 + minutes(5), 60))
    [(incident, _)] = evaluate(engine, settings, T0 + minutes(5))
    add_bounces(engine, spread(T0 + minutes(5), T0 + minutes(6), 40))
    real_save, calls = incidents_store.save, []

    def save_after_a_click(*args: object) -> object:
        calls.append(1)
        if len(calls) == 1:  # between the evaluation's read and its write, someone clicks Acknowledge
            actions.acknowledge(engine, incident.id, by="U1", now=T0 + minutes(7))
        return real_save(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(incidents_store, "save", save_after_a_click)
    [(after, events)] = evaluate(engine, settings, T0 + minutes(8))
    assert len(calls) == 3 and events == []  # the evaluation, the click, the evaluation again
    assert (after.state, after.acknowledged_by, after.bounces_in_window) == (IncidentState.ACKNOWLEDGED, "U1", 100)
    with engine.connect() as conn:
        assert kinds(incidents_store.events_of(conn, incident.id)) == ["opened", "acknowledged"]
