"""The incident state machine: (latest incident, what an evaluation saw, now) → (incident to store, events); pure.

    open ──acknowledge──► acknowledged ──► resolved (quiet for resolve_after, or by a person)
      └────snooze──────► snoozed ──(until passes)──► open / acknowledged

One incident per domain is not resolved at a time; a flood after a resolution is a new incident.
An incident is a flood (bounces reached the threshold) or a listing (a new blacklist listing while
bounces are below it); a listing incident whose bounces then reach the threshold becomes a flood,
said at once in its thread, so the headline never claims a flood that is not there.
Follow-ups (grew, cause_changed) keep `followup_floor` apart, so a sustained flood makes a handful of
messages; listings and delistings are posted when the watch sees them. Everything the machine
remembers is a field of `Incident`, so a restarted bot carries on where it stopped.

Called by bot/monitor/evaluate.py (`step`) and bot/monitor/actions.py (the person actions).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import assert_never

from bot.config import MonitorSettings
from bot.models import (
    UNSAVED_ID,
    Acknowledged,
    BecameFlood,
    BlacklistStatus,
    Cause,
    CauseChanged,
    Delisted,
    Diagnosis,
    EventData,
    Grew,
    Incident,
    IncidentEvent,
    IncidentKind,
    IncidentState,
    Listed,
    Listing,
    Opened,
    ResolutionOutcome,
    Resolved,
    SentVolume,
    Snoozed,
    alerting,
)
from bot.monitor.wording import share, span


@dataclass(frozen=True, slots=True, kw_only=True)
class Observation:
    """What one evaluation saw for a domain."""

    domain: str
    count: int  # bounces in the window
    threshold: int  # the count that opens an incident (alert_bounces, raised by the baseline)
    diagnosis: Diagnosis
    top_reasons: tuple[tuple[str, int], ...] = ()
    listed: frozenset[Listing] = frozenset()  # what the latest check found listed
    cleared: frozenset[Listing] = frozenset()  # what the latest check found not listed
    new_listings: frozenset[Listing] = frozenset()  # listed now and not at the check before: may open
    blacklist: BlacklistStatus | None = None  # what may be said of the listings (bot/monitor/listings.py)
    cited: tuple[tuple[str, int], ...] = ()  # blocklists the bounces cite → bounces citing each
    volume: SentVolume | None = None  # the bounce rate, where the domain has a healthy volume source
    volume_note: str = ""  # why a domain with a volume source is judged by count this time

    @property
    def alerting(self) -> bool:
        """By count; with a rate, as `SentVolume.alerting` judges it."""
        return alerting(self.count, self.threshold, self.volume)


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """The incident to store (None: nothing to store) and the events to store and announce."""

    incident: Incident | None
    events: tuple[IncidentEvent, ...] = ()


def step(latest: Incident | None, seen: Observation, now: datetime, settings: MonitorSettings) -> Step:
    """One evaluation of a domain whose most recent incident (of any state) is `latest`."""
    if latest is None or latest.state is IncidentState.RESOLVED:
        return _open(seen, now, settings) if _should_open(latest, seen, now, settings) else Step(incident=None)
    return _follow(latest, seen, now, settings)


# --------------------------------------------------------------------------- person actions


def acknowledge(incident: Incident, *, by: str, now: datetime) -> Step:
    if incident.state not in (IncidentState.OPEN, IncidentState.SNOOZED):
        return Step(incident=incident)
    acked = replace(incident, state=IncidentState.ACKNOWLEDGED, acknowledged_by=by, acknowledged_at=now,
                    snoozed_until=None, updated_at=now)
    return Step(incident=acked, events=(_event(acked, Acknowledged(), now, "", actor=by),))


def snooze(incident: Incident, *, until: datetime, by: str, now: datetime) -> Step:
    """Quiet the follow-ups (grew, cause changed) until `until`; listings and resolution still post."""
    if incident.state is IncidentState.RESOLVED or until <= now or (
            incident.state is IncidentState.SNOOZED and incident.snoozed_until == until):
        return Step(incident=incident)  # a replay of the same click asks for what is already so
    snoozed = replace(incident, state=IncidentState.SNOOZED, snoozed_until=until, updated_at=now)
    detail = f"Follow-ups are quiet for {span(until - now)}."
    return Step(incident=snoozed, events=(_event(snoozed, Snoozed(until=until), now, detail, actor=by),))


def resolve(incident: Incident, *, by: str, now: datetime, outcome: ResolutionOutcome | None = None,
            note: str = "") -> Step:
    """A person's resolve; from the Resolve dialog with what they say it was (`outcome`) and their `note`."""
    if incident.state is IncidentState.RESOLVED:
        return Step(incident=incident)  # the first resolution, and what it said, stays
    done = replace(incident, state=IncidentState.RESOLVED, resolved_at=now, resolved_by=by, snoozed_until=None,
                   resolution=outcome, resolution_note=note, updated_at=now)
    resolved = Resolved(by_person=True, outcome=outcome, note=note)
    return Step(incident=done, events=(_event(done, resolved, now, "", actor=by),))


def resolution_words(outcome: ResolutionOutcome, cause: Cause) -> str:
    """What the person resolving says of the cause the bot named, as every surface words it."""
    match outcome:
        case ResolutionOutcome.CONFIRMED:
            return f"the likely cause ({cause}) was the cause"
        case ResolutionOutcome.OTHER_CAUSE:
            return "another cause"
        case ResolutionOutcome.FALSE_ALARM:
            return "a false alarm"
        case _:
            assert_never(outcome)


# --------------------------------------------------------------------------- opening


def _should_open(previous: Incident | None, seen: Observation, now: datetime,
                 settings: MonitorSettings) -> bool:
    if seen.new_listings:
        return True
    if not seen.alerting:
        return False
    # A person who resolved the last incident is trusted for resolve_after, unless it got markedly worse.
    if previous is not None and previous.resolved_by and previous.resolved_at is not None:
        trusted = now - previous.resolved_at < settings.resolve_after
        worse = seen.count >= previous.bounces_in_window * settings.grew_factor
        return not trusted or worse
    return True


def _open(seen: Observation, now: datetime, settings: MonitorSettings) -> Step:
    kind = IncidentKind.FLOOD if seen.alerting else IncidentKind.LISTING
    incident = Incident(
        id=UNSAVED_ID, domain=seen.domain, kind=kind, state=IncidentState.OPEN, cause=seen.diagnosis.cause,
        opened_at=now,
        updated_at=now, bounces_in_window=seen.count, threshold=seen.threshold, peak=seen.count,
        listings=tuple(sorted(seen.listed)), diagnosis=seen.diagnosis, top_reasons=seen.top_reasons,
        blacklist=seen.blacklist, cited=seen.cited, volume=seen.volume, volume_note=seen.volume_note,
        last_posted_count=seen.count, last_posted_at=now, below_since=None if seen.alerting else now)
    detail = " ".join([*seen.diagnosis.evidence[:1],
                       *([f"Newly listed: {', '.join(map(str, sorted(seen.new_listings)))}."]
                         if seen.new_listings else [])])
    opened = _event(incident, Opened(count=seen.count, threshold=seen.threshold, cause=seen.diagnosis.cause,
                                     listings=tuple(sorted(seen.listed)), incident_kind=kind, volume=seen.volume),
                    now, detail)
    return Step(incident=incident, events=(opened,))


# --------------------------------------------------------------------------- an open incident


def _follow(incident: Incident, seen: Observation, now: datetime, settings: MonitorSettings) -> Step:
    """Update a not-resolved incident with what the evaluation saw, and say what is worth saying."""
    current = _wake(incident, now)
    current, listing_events = _listings(current, seen, now)
    current, followups = _followups(current, seen, now, settings)
    current = replace(current, bounces_in_window=seen.count, threshold=seen.threshold, blacklist=seen.blacklist,
                      cited=seen.cited, volume=seen.volume, volume_note=seen.volume_note,
                      peak=max(current.peak, seen.count), top_reasons=seen.top_reasons,
                      below_since=None if seen.alerting else (current.below_since or now))
    events = [*listing_events, *followups]
    if _quiet_long_enough(current, now, settings):
        current = replace(current, state=IncidentState.RESOLVED, resolved_at=now, snoozed_until=None)
        below = (f"Our bounce rate below {share(seen.volume.alert_rate)} and other bounces below {seen.threshold:,}"
                 if seen.volume and seen.volume.judged else f"Below {seen.threshold:,} bounces")
        events.append(_event(current, Resolved(by_person=False), now,
                             f"{below} per {span(settings.window)} for {span(settings.resolve_after)}."))
    if current != incident:
        current = replace(current, updated_at=now)
    return Step(incident=current, events=tuple(events))


def _wake(incident: Incident, now: datetime) -> Incident:
    """A snooze that has run out returns the incident to where it was before."""
    if incident.state is not IncidentState.SNOOZED or (incident.snoozed_until and now < incident.snoozed_until):
        return incident
    state = IncidentState.ACKNOWLEDGED if incident.acknowledged_by else IncidentState.OPEN
    return replace(incident, state=state, snoozed_until=None)


def _listings(incident: Incident, seen: Observation,
              now: datetime) -> tuple[Incident, list[IncidentEvent]]:
    known = set(incident.listings)
    added = sorted(seen.listed - known)
    removed = sorted(known & seen.cleared)  # an error or timeout is not a delisting
    if not added and not removed:
        return incident, []
    current = replace(incident, listings=tuple(sorted((known | seen.listed) - set(removed))))
    events = [_event(current, Listed(listing=listing), now, "") for listing in added]
    events += [_event(current, Delisted(listing=listing), now, "") for listing in removed]
    return current, events


def _followups(incident: Incident, seen: Observation, now: datetime,
               settings: MonitorSettings) -> tuple[Incident, list[IncidentEvent]]:
    """Grew and cause_changed, at most once per followup_floor, never while snoozed.

    A cause change that must wait keeps the old diagnosis too, so the card never shows one cause with
    another's evidence; while snoozed the card follows the diagnosis silently.
    """
    if incident.kind is IncidentKind.LISTING and seen.alerting:
        return _became_flood(incident, seen, now)
    if incident.state is IncidentState.SNOOZED:
        return replace(incident, cause=seen.diagnosis.cause, diagnosis=seen.diagnosis), []
    floor_passed = incident.last_posted_at is None or now - incident.last_posted_at >= settings.followup_floor
    if not (floor_passed and seen.alerting):
        same_cause = seen.diagnosis.cause is incident.cause
        return (replace(incident, diagnosis=seen.diagnosis) if same_cause else incident), []
    events = []
    current = replace(incident, diagnosis=seen.diagnosis)
    if seen.count >= max(incident.last_posted_count, 1) * settings.grew_factor:
        events.append(_event(current, Grew(previous=incident.last_posted_count, count=seen.count), now,
                             _top_reasons(seen)))
        current = replace(current, last_posted_count=seen.count, last_posted_at=now)
    if seen.diagnosis.cause is not incident.cause:
        events.append(_event(current, CauseChanged(previous=incident.cause, cause=seen.diagnosis.cause), now,
                             " ".join(seen.diagnosis.evidence[:1])))
        current = replace(current, cause=seen.diagnosis.cause, last_posted_at=now)
    return current, events


def _became_flood(incident: Incident, seen: Observation, now: datetime) -> tuple[Incident, list[IncidentEvent]]:
    """A listing incident whose bounces reached the threshold: said at once, snoozed or not, with the cause."""
    current = replace(incident, kind=IncidentKind.FLOOD, cause=seen.diagnosis.cause, diagnosis=seen.diagnosis,
                      last_posted_count=seen.count, last_posted_at=now)
    grew = _event(current, BecameFlood(previous=incident.last_posted_count, count=seen.count,
                                       threshold=seen.threshold, cause=seen.diagnosis.cause,
                                       previous_cause=incident.cause), now, " ".join(seen.diagnosis.evidence[:1]))
    return current, [grew]


def _quiet_long_enough(incident: Incident, now: datetime, settings: MonitorSettings) -> bool:
    return (not incident.listings and incident.below_since is not None
            and now - incident.below_since >= settings.resolve_after)


def _top_reasons(seen: Observation) -> str:
    reasons = ", ".join(f"{reason} {n:,}" for reason, n in seen.top_reasons[:3])
    return f"Top reasons: {reasons}." if reasons else ""


def _event(incident: Incident, data: EventData, now: datetime, detail: str, *,
           actor: str | None = None) -> IncidentEvent:
    return IncidentEvent(incident_id=incident.id, at=now, data=data, detail=detail, actor=actor)
