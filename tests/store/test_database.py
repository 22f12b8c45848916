"""Schema migrations: a store made by an older bouncecheck is brought up to date, once, keeping its rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import inspect

from bot.store.database import MIGRATIONS, open_engine
from bot.store.slack_messages import MessageLocation, location_of


def test_a_v1_store_gains_origin_incident_kind_and_known_servers(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    open_engine(f"sqlite:///{db}").dispose()
    # Make it look as the v1 bot left it: without what v2 adds, with an incident row.
    with sqlite3.connect(db) as conn:
        conn.execute("ALTER TABLE bounces DROP COLUMN origin_basis")
        conn.execute("ALTER TABLE incidents DROP COLUMN kind")
        conn.execute("DROP TABLE known_servers")
        conn.execute("DELETE FROM schema_version WHERE version > 1")
        conn.execute("INSERT INTO incidents (domain, state, cause, opened_at, updated_at) "
                     "VALUES ('example.com', 'open', 'backscatter', '2026-11-30 10:00:00', '2026-11-30 10:00:00')")

    engine = open_engine(f"sqlite:///{db}")
    try:
        columns = {table: {c["name"] for c in inspect(engine).get_columns(table)} for table in ("bounces", "incidents")}
        assert "origin_basis" in columns["bounces"] and "kind" in columns["incidents"]
        assert inspect(engine).has_table("known_servers")
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT kind FROM incidents").scalar_one() == "flood"
            versions = [v for (v,) in conn.exec_driver_sql("SELECT version FROM schema_version ORDER BY 1")]
        assert versions == [version for version, _ in MIGRATIONS]
    finally:
        engine.dispose()
    open_engine(f"sqlite:///{db}").dispose()  # a second start changes nothing


def test_the_bucket_migration_counts_the_bounces_already_stored(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from bot.config import MonitorSettings
    from bot.store.figures import read_figures
    from tests.monitor.conftest import add_bounces

    db = tmp_path / "old.db"
    engine = open_engine(f"sqlite:///{db}")
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    add_bounces(engine, now - timedelta(hours=2, minutes=10), 30)  # 06:50: window 1 back from 08:00
    engine.dispose()
    with sqlite3.connect(db) as conn:  # as a v3 store left them: rows, no buckets
        conn.execute("DROP TABLE bounce_buckets")
        conn.execute("DELETE FROM schema_version WHERE version > 3")
    engine = open_engine(f"sqlite:///{db}")
    try:
        monitor = MonitorSettings(domains=("example.com",), window=timedelta(hours=1), baseline_days=1)
        with engine.connect() as conn:
            past = conn.exec_driver_sql("SELECT bucket_start, failed FROM bounce_buckets").all()
            figures = read_figures(conn, ["example.com"], now, monitor)["example.com"]
        assert past == [("2026-12-01 06:00:00.000000", 30)]
        assert figures.baseline == 0.0  # median of 24 hours, one of them 30
    finally:
        engine.dispose()


def test_a_v4_stores_card_locations_move_to_their_own_table_and_the_outbox_gains_dead_letters(tmp_path: Path) -> None:
    from bot.slack.queries import card_location, incident_by_thread

    db = tmp_path / "old.db"
    open_engine(f"sqlite:///{db}").dispose()
    with sqlite3.connect(db) as conn:  # as a v4 store left them: the card's place in two incident columns
        conn.execute("DROP TABLE slack_messages")
        conn.execute("ALTER TABLE outbox DROP COLUMN dead_at")
        conn.execute("ALTER TABLE incidents ADD COLUMN slack_channel VARCHAR(50)")
        conn.execute("ALTER TABLE incidents ADD COLUMN slack_ts VARCHAR(50)")
        conn.execute("DELETE FROM schema_version WHERE version > 4")
        conn.execute("INSERT INTO incidents (domain, state, cause, opened_at, updated_at, slack_channel, slack_ts) "
                     "VALUES ('example.com', 'open', 'backscatter', '2026-11-30 10:00:00', '2026-11-30 10:00:00', "
                     "'C0ALERTS', '1700000000.000100')")
        conn.execute("INSERT INTO incidents (domain, state, cause, opened_at, updated_at) "
                     "VALUES ('other.example', 'open', 'backscatter', '2026-11-30 10:00:00', '2026-11-30 10:00:00')")
    engine = open_engine(f"sqlite:///{db}")
    try:
        assert card_location(engine, 1) == ("C0ALERTS", "1700000000.000100") and card_location(engine, 2) is None
        found = incident_by_thread(engine, "C0ALERTS", "1700000000.000100")
        assert found is not None and found.domain == "example.com"
        assert "dead_at" in {c["name"] for c in inspect(engine).get_columns("outbox")}
    finally:
        engine.dispose()


def test_a_v6_store_keeps_its_cards_and_gains_their_permalinks(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    open_engine(f"sqlite:///{db}").dispose()
    with sqlite3.connect(db) as conn:  # as the v6 bot left it, with a posted card
        conn.execute("ALTER TABLE slack_messages DROP COLUMN permalink")
        conn.execute("DELETE FROM schema_version WHERE version > 6")
        conn.execute("INSERT INTO incidents (domain, state, cause, opened_at, updated_at) "
                     "VALUES ('example.com', 'open', 'backscatter', '2026-11-30 10:00:00', '2026-11-30 10:00:00')")
        conn.execute("INSERT INTO slack_messages (incident_id, role, channel, ts, posted_at) "
                     "VALUES (1, 'card', 'C1', '1.000001', '2026-11-30 10:00:00')")
    engine = open_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            assert location_of(conn, 1) == MessageLocation(channel="C1", ts="1.000001", permalink=None)
            versions = [v for (v,) in conn.exec_driver_sql("SELECT version FROM schema_version ORDER BY 1")]
        assert versions == [version for version, _ in MIGRATIONS]
    finally:
        engine.dispose()


def test_a_read_that_counted_a_span_again_replaces_it(tmp_path: Path) -> None:
    """A Sent folder rebuilt (new UIDVALIDITY) is counted again from the window's start: not twice."""
    from collections import Counter
    from datetime import UTC, datetime, timedelta

    from bot.store import volume_store

    engine = open_engine(f"sqlite:///{tmp_path / 'v.db'}")
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    minute = now - timedelta(minutes=30)
    try:
        counts = Counter({("example.com", minute): 150})
        with engine.begin() as conn:
            volume_store.record_read(conn, "sent", now=now, cursor="1:150", counts=counts, totals={})
        with engine.begin() as conn:
            volume_store.record_read(conn, "sent", now=now + timedelta(minutes=1), cursor="2:150", counts=counts,
                                     totals={}, reads=1, replaces_since=now - timedelta(hours=1))
        with engine.connect() as conn:
            assert volume_store.sent_between(conn, ["sent"], ["example.com"], now - timedelta(hours=1),
                                             now)["example.com"] == 150
    finally:
        engine.dispose()
