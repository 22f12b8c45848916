"""The person actions behind the buttons and mentions, as the listeners need them.

The transitions are the state machine's (bot/monitor/incidents.py) and their guarded writes the
monitor's (`bot.monitor.actions.apply`); this adds what Slack needs on top: whether anything
changed, and the kind sentence when a click did nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from bot.models import Incident, IncidentEvent, IncidentState, ResolutionOutcome
from bot.monitor import actions, incidents
from bot.slack.blocks import user


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    after: Incident
    events: tuple[IncidentEvent, ...]

    @property
    def changed(self) -> bool:
        return bool(self.events)


# A person's transition: (incident, who, when) → the state machine's step.
Transition = Callable[[Incident, str, datetime], incidents.Step]


def act(engine: Engine, incident_id: int, transition: Transition, *, by: str, now: datetime) -> Outcome | None:
    """Apply a person's transition to a stored incident; None when there is no such incident."""
    result = actions.apply(engine, incident_id, lambda incident: transition(incident, by, now))
    return None if result is None else Outcome(after=result[0], events=tuple(result[1]))


def acknowledge(incident: Incident, by: str, now: datetime) -> incidents.Step:
    return incidents.acknowledge(incident, by=by, now=now)


def resolve(incident: Incident, by: str, now: datetime) -> incidents.Step:
    """A resolve that says nothing of the cause (a `resolve` mention)."""
    return incidents.resolve(incident, by=by, now=now)


def resolve_saying(outcome: ResolutionOutcome, note: str) -> Transition:
    """The Resolve dialog's resolve, with what the person says it was and their note."""
    return lambda incident, by, now: incidents.resolve(incident, by=by, now=now, outcome=outcome, note=note)


def snooze_until(until: datetime) -> Transition:
    return lambda incident, by, now: incidents.snooze(incident, until=until, by=by, now=now)


def unchanged_note(verb: str, incident: Incident) -> str:
    """Why a click did nothing, said kindly (acknowledge after resolve, a second acknowledge, …)."""
    ref = f"Incident #{incident.id} on {incident.domain}"
    if incident.state is IncidentState.RESOLVED:
        by = f" by {user(incident.resolved_by)}" if incident.resolved_by else " automatically"
        return f"{ref} is already resolved{by}, so there is nothing to {verb}. A new flood opens a new incident."
    if verb == "acknowledge" and incident.state is IncidentState.ACKNOWLEDGED:
        return f"{ref} is already acknowledged by {user(incident.acknowledged_by)}."
    return f"{ref} is {incident.state.value}; nothing to {verb}."
