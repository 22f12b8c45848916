"""Retention prunes old bounces, old check history and old resolved incidents, and keeps what scans need."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, func, select

from bot.config import Settings
from bot.models import KnownServer, ServerKind, ServerSource
from bot.monitor import actions
from bot.monitor.evaluate import evaluate
from bot.monitor.retention import Pruned, prune
from bot.store import incidents_store
from bot.store.schema import bounces, incidents, messages, reputation_runs
from bot.store.servers_store import add_seen, known_servers_of, save_learned
from tests.monitor.conftest import DOMAIN, T0, add_bounces, minutes
from tests.monitor.fakes import FakeChecker


def count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_prune_keeps_recent_records_seen_markers_and_the_latest_check(engine: Engine, settings: Settings) -> None:
    old = T0 - timedelta(days=100)
    add_bounces(engine, old, 60)
    [(incident, _)] = evaluate(engine, settings, old + minutes(1))
    actions.resolve(engine, incident.id, by="U1", now=old + minutes(2))
    with engine.begin() as conn:
        for days in (95, 93):
            incidents_store.save_check(conn, DOMAIN, FakeChecker(at=T0 - timedelta(days=days))(DOMAIN, settings))
    add_bounces(engine, T0 - timedelta(days=1), 5)
    with engine.begin() as conn:
        seen = [KnownServer(kind=ServerKind.HOST, value=h, source=ServerSource.BOUNCES, domain=DOMAIN) for h in "ab"]
        add_seen(conn, seen[:1], old)
        add_seen(conn, seen[1:], T0 - timedelta(days=1))
        save_learned(conn, DOMAIN, [KnownServer(kind=ServerKind.IP, value="192.0.2.10", source=ServerSource.SPF)],
                     [ServerSource.SPF], old)

    assert prune(engine, settings, T0) == Pruned(bounces=60, reputation_checks=1, incidents=1)
    with engine.connect() as conn:
        assert {(s.value, s.source) for s in known_servers_of(conn)} == {("b", ServerSource.BOUNCES),
                                                                        ("192.0.2.10", ServerSource.SPF)}
    assert (count(engine, bounces), count(engine, messages), count(engine, incidents)) == (5, 65, 0)
    assert count(engine, reputation_runs) == 1  # the latest check of a domain stays, however old
