"""The person actions behind the buttons and mentions, as the listeners need them.

The transitions and their guarded writes are the monitor's (bot.monitor.actions); this adds what
Slack needs on top: whether anything changed, and the kind sentence when a click did nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from bot.models import Incident, IncidentEvent, IncidentState
from bot.monitor import actions
from bot.slack.blocks import user


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    after: Incident
    events: tuple[IncidentEvent, ...]

    @property
    def changed(self) -> bool:
        return bool(self.events)


def _outcome(result: actions.Outcome | None) -> Outcome | None:
    return None if result is None else Outcome(after=result[0], events=tuple(result[1]))


def acknowledge(engine: Engine, incident_id: int, *, by: str, now: datetime) -> Outcome | None:
    return _outcome(actions.acknowledge(engine, incident_id, by=by, now=now))


def snooze(engine: Engine, incident_id: int, *, by: str, until: datetime, now: datetime) -> Outcome | None:
    return _outcome(actions.snooze(engine, incident_id, until=until, by=by, now=now))


def resolve(engine: Engine, incident_id: int, *, by: str, now: datetime) -> Outcome | None:
    return _outcome(actions.resolve(engine, incident_id, by=by, now=now))


def unchanged_note(verb: str, incident: Incident) -> str:
    """Why a click did nothing, said kindly (acknowledge after resolve, a second acknowledge, …)."""
    ref = f"Incident #{incident.id} on {incident.domain}"
    if incident.state is IncidentState.RESOLVED:
        by = f" by {user(incident.resolved_by)}" if incident.resolved_by else " automatically"
        return f"{ref} is already resolved{by}, so there is nothing to {verb}. A new flood opens a new incident."
    if verb == "acknowledge" and incident.state is IncidentState.ACKNOWLEDGED:
        return f"{ref} is already acknowledged by {user(incident.acknowledged_by)}."
    return f"{ref} is {incident.state.value}; nothing to {verb}."
