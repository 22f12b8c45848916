"""Person actions on a real store: several people clicking at once still make one event."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Connection, Engine

from bot.config import Settings
from bot.models import EventKind, Incident, IncidentState
from bot.monitor import actions
from bot.monitor.evaluate import evaluate
from bot.store import incidents_store
from tests.monitor.conftest import T0, add_bounces, minutes, spread

CLICKS = 4


def test_simultaneous_resolves_with_a_frozen_clock_make_one_resolved_event(
        engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two Resolve clicks in the same instant as the incident's last change: its `updated_at` cannot tell them apart."""
    now = T0 + minutes(5)
    add_bounces(engine, spread(T0, now, 60))
    [(incident, _)] = evaluate(engine, settings, now)
    read_together = threading.Barrier(CLICKS, timeout=10) if engine.dialect.name == "sqlite" else None
    real_get, first_read = incidents_store.get_incident, threading.local()

    def get_then_wait(conn: Connection, incident_id: int) -> Incident | None:
        found = real_get(conn, incident_id)
        if read_together is not None and not getattr(first_read, "done", False):
            first_read.done = True  # every click has read the open incident before any of them writes
            read_together.wait()
        return found

    monkeypatch.setattr(incidents_store, "get_incident", get_then_wait)
    with ThreadPoolExecutor(CLICKS) as pool:
        outcomes = list(pool.map(lambda n: actions.resolve(engine, incident.id, by=f"U{n}", now=now), range(CLICKS)))

    announced = [event for outcome in outcomes if outcome for event in outcome[1]]
    assert [event.kind for event in announced] == [EventKind.RESOLVED]
    assert {outcome[0].state for outcome in outcomes if outcome} == {IncidentState.RESOLVED}
    with engine.connect() as conn:
        stored = incidents_store.events_of(conn, incident.id)
    assert [event.kind for event in stored] == [EventKind.OPENED, EventKind.RESOLVED]
