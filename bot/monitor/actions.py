"""What a person does to an incident (Slack buttons, thread mentions): acknowledge, snooze, resolve.

Called by the Slack listeners. Each loads the incident, applies the pure transition of
bot/monitor/incidents.py and stores the result with its event in one guarded transaction; the
caller hands the returned events to its notifier. A transition that does not apply (acknowledging
a resolved incident, say) returns the incident unchanged and no events.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection, Engine

from bot.models import Incident, IncidentEvent
from bot.monitor import incidents
from bot.store import incidents_store

Outcome = tuple[Incident, list[IncidentEvent]]


def acknowledge(engine: Engine, incident_id: int, *, by: str, now: datetime) -> Outcome | None:
    return apply(engine, incident_id, lambda incident: incidents.acknowledge(incident, by=by, now=now))


def snooze(engine: Engine, incident_id: int, *, until: datetime, by: str, now: datetime) -> Outcome | None:
    return apply(engine, incident_id, lambda incident: incidents.snooze(incident, until=until, by=by, now=now))


def resolve(engine: Engine, incident_id: int, *, by: str, now: datetime) -> Outcome | None:
    return apply(engine, incident_id, lambda incident: incidents.resolve(incident, by=by, now=now))


def apply(engine: Engine, incident_id: int, transition: Callable[[Incident], incidents.Step]) -> Outcome | None:
    """Any transition of bot/monitor/incidents.py, loaded, applied and stored in one guarded transaction;
    None when there is no such incident."""

    def work(conn: Connection) -> Outcome | None:
        before = incidents_store.get_incident(conn, incident_id)
        if before is None:
            return None
        step = transition(before)
        after = step.incident or before
        return incidents_store.save(conn, before, after, step.events)

    return incidents_store.transact(engine, work)
