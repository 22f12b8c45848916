"""The incident state machine, pure: what opens, what is announced, when it resolves, what people do."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from bot.models import (
    BecameFlood,
    Cause,
    Delisted,
    Diagnosis,
    EventKind,
    Grew,
    Incident,
    IncidentKind,
    IncidentState,
    Listed,
    Listing,
    Opened,
    Resolved,
)
from bot.monitor.incidents import Observation, Step, acknowledge, resolve, snooze, step
from tests.monitor.conftest import DOMAIN, T0, minutes, monitor_settings

MONITOR = monitor_settings().monitor
ZEN = Listing("192.0.2.10", "zen.spamhaus.org")


def seen(count: int, cause: Cause = Cause.BAD_RECIPIENTS, **values: object) -> Observation:
    return Observation(domain=DOMAIN, count=count, threshold=50, diagnosis=Diagnosis(cause=cause, evidence=("e",)),
                       **values)  # type: ignore[arg-type]


def kinds(result: Step) -> list[EventKind]:
    return [event.kind for event in result.events]


def opened(count: int = 60, at: datetime = T0, **values: object) -> Incident:
    result = step(None, seen(count, **values), at, MONITOR)  # type: ignore[arg-type]
    assert result.incident is not None and kinds(result) == [EventKind.OPENED]
    return replace(result.incident, id=7)


def test_below_threshold_nothing_happens() -> None:
    assert step(None, seen(49), T0, MONITOR) == Step(incident=None)


def test_a_flood_opens_with_its_numbers() -> None:
    incident = opened(60)
    assert (incident.state, incident.cause, incident.bounces_in_window, incident.peak) == (
        IncidentState.OPEN, Cause.BAD_RECIPIENTS, 60, 60)
    assert (incident.last_posted_count, incident.last_posted_at, incident.below_since) == (60, T0, None)


def test_growth_is_posted_once_it_is_marked_and_the_floor_has_passed() -> None:
    incident = opened(60)
    assert kinds(step(incident, seen(89), T0 + minutes(20), MONITOR)) == []  # < 1.5 ×
    assert kinds(step(incident, seen(200), T0 + minutes(10), MONITOR)) == []  # floor not passed
    grew = step(incident, seen(200), T0 + minutes(15), MONITOR)
    assert kinds(grew) == [EventKind.GREW]
    assert grew.events[0].data == Grew(previous=60, count=200)
    assert grew.incident is not None and grew.incident.last_posted_count == 200


def test_cause_change_waits_for_the_floor_and_keeps_the_old_diagnosis_meanwhile() -> None:
    incident = opened(60)
    early = step(incident, seen(70, Cause.BACKSCATTER), T0 + minutes(5), MONITOR)
    assert kinds(early) == [] and early.incident is not None
    assert early.incident.cause is Cause.BAD_RECIPIENTS
    assert early.incident.diagnosis is not None and early.incident.diagnosis.cause is Cause.BAD_RECIPIENTS
    later = step(early.incident, seen(70, Cause.BACKSCATTER), T0 + minutes(16), MONITOR)
    assert kinds(later) == [EventKind.CAUSE_CHANGED]
    assert later.incident is not None and later.incident.cause is Cause.BACKSCATTER


def test_unchanged_figures_leave_the_incident_as_it_was() -> None:
    incident = opened(60)
    assert step(incident, seen(60), T0 + minutes(2), MONITOR) == Step(incident=incident)


def test_quiet_for_resolve_after_resolves() -> None:
    incident = opened(60)
    quiet = step(incident, seen(10), T0 + minutes(30), MONITOR)
    assert quiet.incident is not None and quiet.incident.below_since == T0 + minutes(30)
    almost = step(quiet.incident, seen(5), T0 + minutes(149), MONITOR)
    assert kinds(almost) == [] and almost.incident is not None
    done = step(almost.incident, seen(0), T0 + minutes(150), MONITOR)
    assert kinds(done) == [EventKind.RESOLVED] and done.incident is not None
    assert (done.incident.state, done.incident.resolved_at, done.incident.resolved_by) == (
        IncidentState.RESOLVED, T0 + minutes(150), None)


def test_a_new_rise_restarts_the_quiet_clock() -> None:
    incident = opened(60)
    quiet = step(incident, seen(10), T0 + minutes(30), MONITOR).incident
    assert quiet is not None
    back = step(quiet, seen(55), T0 + minutes(60), MONITOR).incident
    assert back is not None and back.below_since is None


def test_after_resolution_a_new_flood_is_a_new_incident() -> None:
    done = replace(opened(60), state=IncidentState.RESOLVED, resolved_at=T0 + minutes(150))
    again = step(done, seen(80), T0 + timedelta(hours=5), MONITOR)
    assert kinds(again) == [EventKind.OPENED] and again.incident is not None and again.incident.id == 0


def test_a_person_resolving_is_trusted_for_resolve_after_unless_it_gets_worse() -> None:
    result = resolve(opened(60), by="U1", now=T0 + minutes(10))
    assert kinds(result) == [EventKind.RESOLVED] and result.incident is not None
    assert result.events[0].actor == "U1" and result.events[0].data == Resolved(by_person=True)
    done = result.incident
    assert step(done, seen(70), T0 + minutes(20), MONITOR) == Step(incident=None)
    assert kinds(step(done, seen(90), T0 + minutes(20), MONITOR)) == [EventKind.OPENED]
    assert kinds(step(done, seen(70), T0 + minutes(130), MONITOR)) == [EventKind.OPENED]


def test_acknowledge_then_follow_ups_still_come() -> None:
    result = acknowledge(opened(60), by="U1", now=T0 + minutes(1))
    assert kinds(result) == [EventKind.ACKNOWLEDGED] and result.incident is not None
    acked = result.incident
    assert (acked.state, acked.acknowledged_by) == (IncidentState.ACKNOWLEDGED, "U1")
    assert acknowledge(acked, by="U2", now=T0 + minutes(2)) == Step(incident=acked)
    assert kinds(step(acked, seen(100), T0 + minutes(20), MONITOR)) == [EventKind.GREW]


def test_snooze_quiets_follow_ups_until_it_runs_out() -> None:
    result = snooze(opened(60), until=T0 + minutes(60), by="U1", now=T0 + minutes(1))
    assert kinds(result) == [EventKind.SNOOZED] and result.incident is not None
    snoozed = step(result.incident, seen(200, Cause.BACKSCATTER), T0 + minutes(30), MONITOR)
    assert kinds(snoozed) == [] and snoozed.incident is not None
    assert snoozed.incident.state is IncidentState.SNOOZED and snoozed.incident.cause is Cause.BACKSCATTER
    awake = step(snoozed.incident, seen(200, Cause.BACKSCATTER), T0 + minutes(61), MONITOR)
    assert kinds(awake) == [EventKind.GREW] and awake.incident is not None
    assert awake.incident.state is IncidentState.OPEN


def test_snooze_into_the_past_or_of_a_resolved_incident_does_nothing() -> None:
    incident = opened(60)
    assert snooze(incident, until=T0, by="U1", now=T0 + minutes(1)) == Step(incident=incident)
    done = replace(incident, state=IncidentState.RESOLVED)
    assert snooze(done, until=T0 + minutes(90), by="U1", now=T0) == Step(incident=done)
    assert resolve(done, by="U1", now=T0) == Step(incident=done)


def test_a_new_listing_opens_and_keeps_the_incident_open_while_listed() -> None:
    result = step(None, seen(3, Cause.BLACKLISTED, listed=frozenset({ZEN}), new_listings=frozenset({ZEN})),
                  T0, MONITOR)
    assert kinds(result) == [EventKind.OPENED] and result.incident is not None
    incident = replace(result.incident, id=7)
    assert incident.listings == (ZEN,) and incident.below_since == T0
    still = step(incident, seen(0, listed=frozenset({ZEN})), T0 + timedelta(hours=5), MONITOR)
    assert kinds(still) == [] and still.incident is not None and still.incident.state is IncidentState.OPEN
    gone = step(still.incident, seen(0, cleared=frozenset({ZEN})), T0 + timedelta(hours=6), MONITOR)
    assert kinds(gone) == [EventKind.DELISTED, EventKind.RESOLVED]
    assert gone.events[0].data == Delisted(listing=ZEN)


def test_a_listing_without_a_flood_is_a_listing_incident_until_the_bounces_come() -> None:
    result = step(None, seen(0, Cause.BLACKLISTED, listed=frozenset({ZEN}), new_listings=frozenset({ZEN})),
                  T0, MONITOR)
    assert result.incident is not None and result.incident.kind is IncidentKind.LISTING
    assert isinstance(result.events[0].data, Opened) and result.events[0].data.incident_kind is IncidentKind.LISTING
    incident = replace(result.incident, id=7)
    # Below the threshold it stays a listing, and nothing is said.
    assert kinds(step(incident, seen(30, listed=frozenset({ZEN})), T0 + minutes(1), MONITOR)) == []
    # A flood of forged mail follows a minute later: said at once (no follow-up floor), with its cause.
    flood = step(incident, seen(60, Cause.BACKSCATTER, listed=frozenset({ZEN})), T0 + minutes(2), MONITOR)
    assert kinds(flood) == [EventKind.GREW]
    assert flood.events[0].data == BecameFlood(previous=0, count=60, threshold=50, cause=Cause.BACKSCATTER,
                                               previous_cause=Cause.BLACKLISTED)
    assert flood.incident is not None
    assert (flood.incident.kind, flood.incident.cause, flood.incident.last_posted_count) == (
        IncidentKind.FLOOD, Cause.BACKSCATTER, 60)
    # From then on it follows the floor like any flood.
    assert kinds(step(flood.incident, seen(200, Cause.BACKSCATTER, listed=frozenset({ZEN})), T0 + minutes(3),
                      MONITOR)) == []


def test_a_flood_opens_as_a_flood() -> None:
    assert opened(60).kind is IncidentKind.FLOOD


def test_an_old_listing_does_not_open_but_joins_an_open_incident() -> None:
    assert step(None, seen(3, listed=frozenset({ZEN})), T0, MONITOR) == Step(incident=None)
    joined = step(opened(60), seen(60, listed=frozenset({ZEN})), T0 + minutes(1), MONITOR)
    assert kinds(joined) == [EventKind.LISTED] and joined.events[0].data == Listed(listing=ZEN)


def test_a_failed_lookup_is_not_a_delisting() -> None:
    incident = replace(opened(60), listings=(ZEN,))
    assert kinds(step(incident, seen(60), T0 + minutes(1), MONITOR)) == []
