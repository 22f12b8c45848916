"""Open the store at `[storage] url` and bring its schema up to date with versioned migrations.

Migrations are an ordered list of steps, each run once inside a transaction and recorded in
`schema_version`; a new schema change is a new step appended at the end, never an edit of an old one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, DefaultClause, Engine, Table, create_engine, event, func, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError

from bot.errors import StoreError
from bot.store import schema

log = logging.getLogger(__name__)

Migration = Callable[[Connection], None]

_MIGRATION_LOCK = 0x626F756E6365  # "bounce": the pg_advisory_xact_lock key every instance waits on


def _v1_initial(conn: Connection) -> None:
    schema.metadata.create_all(conn, tables=[t for t in schema.metadata.sorted_tables
                                             if t is not schema.schema_version])


def _v2_origin_and_servers(conn: Connection) -> None:
    """Bounces say what their origin rests on, incidents their kind, and learned servers get a table.

    A store created at v1 by this code already has them (v1 creates the current tables): add only
    what is missing.
    """
    _add_missing(conn, (schema.bounces, "origin_basis"), (schema.incidents, "kind"))
    schema.known_servers.create(conn, checkfirst=True)


def _add_missing(conn: Connection, *columns: tuple[Table, str]) -> None:
    """ALTER TABLE … ADD COLUMN for each (table, column) the store does not have yet."""
    inspector = inspect(conn)
    for table, name in columns:
        if name not in {column["name"] for column in inspector.get_columns(table.name)}:
            column = table.c[name]
            ddl = column.type.compile(dialect=conn.dialect)
            default = f" DEFAULT '{column.server_default.arg}' NOT NULL" \
                if isinstance(column.server_default, DefaultClause) else ""
            conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {name} {ddl}{default}"))


def _v3_blacklist_status(conn: Connection) -> None:
    """Incidents keep the blacklist status they were shown with; checks keep why a result is unknown."""
    _add_missing(conn, (schema.incidents, "blacklist"), (schema.incidents, "cited"),
                 (schema.reputation_runs, "problems"), (schema.reputation_checks, "problem"))


def _v4_bounce_buckets(conn: Connection) -> None:
    """Hourly counts for the baseline, filled from the bounces already stored."""
    from bot.store.buckets import rebuild

    schema.bounce_buckets.create(conn, checkfirst=True)
    schema.baseline_cache.create(conn, checkfirst=True)
    rebuild(conn)


def _v5_slack_messages_and_dead_letters(conn: Connection) -> None:
    """Cards' locations move from two incident columns to their own table; refused posts become dead letters.

    The old columns stay in old stores (dropping a column is a table rebuild on SQLite), unread.
    """
    schema.slack_messages.create(conn, checkfirst=True)
    _add_missing(conn, (schema.outbox, "dead_at"))
    if {"slack_channel", "slack_ts"} <= {c["name"] for c in inspect(conn).get_columns("incidents")}:
        conn.execute(text(
            "INSERT INTO slack_messages (incident_id, role, channel, ts, posted_at) "
            "SELECT id, 'card', slack_channel, slack_ts, opened_at FROM incidents "
            "WHERE slack_channel IS NOT NULL AND slack_ts IS NOT NULL"))


def _v6_local_index(conn: Connection) -> None:
    """Local sources remember what they handed to the scanner, so a scan reads only what is new."""
    schema.local_index.create(conn, checkfirst=True)


def _v7_permalinks(conn: Connection) -> None:
    """Cards keep the link Slack gives them; cards posted before learn it at their next update."""
    _add_missing(conn, (schema.slack_messages, "permalink"))


def _v8_oncall(conn: Connection) -> None:
    """Silences of a domain; what the person who resolved an incident said about it."""
    schema.silences.create(conn, checkfirst=True)
    _add_missing(conn, (schema.incidents, "resolution"), (schema.incidents, "resolution_note"))


def _v9_sent_volume(conn: Connection) -> None:
    """What we sent, per domain, from the volume sources; incidents keep the rate they were judged by."""
    for table in (schema.sent_counts, schema.sent_senders, schema.sent_totals, schema.volume_sources):
        table.create(conn, checkfirst=True)
    _add_missing(conn, (schema.incidents, "volume"), (schema.incidents, "volume_note"))


MIGRATIONS: tuple[tuple[int, Migration], ...] = (
    (1, _v1_initial), (2, _v2_origin_and_servers), (3, _v3_blacklist_status), (4, _v4_bounce_buckets),
    (5, _v5_slack_messages_and_dead_letters), (6, _v6_local_index), (7, _v7_permalinks), (8, _v8_oncall),
    (9, _v9_sent_volume))


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets the Slack listeners read while a scan writes; foreign keys are off by default in SQLite.
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def open_engine(url: str) -> Engine:
    """An engine for `url` with the schema migrated to the newest version."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")  # the driver we install
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True)
        migrate(engine)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open the store at {_redact(url)}: {exc.__class__.__name__}: "
                         f"{str(exc).splitlines()[0]}") from exc
    return engine


def migrate(engine: Engine) -> int:
    """Apply the missing migration steps; returns the version now in force.

    Several instances may start at once against one PostgreSQL: a transaction-scoped advisory lock
    makes the others wait, then find the steps applied. PostgreSQL DDL is transactional, so all the
    steps and their `schema_version` rows commit together or not at all.
    """
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
        schema.schema_version.create(conn, checkfirst=True)
        applied = set(conn.scalars(select(schema.schema_version.c.version)))
        for version, step in MIGRATIONS:
            if version in applied:
                continue
            step(conn)
            conn.execute(schema.schema_version.insert().values(version=version, applied_at=datetime.now(UTC)))
            log.info("store migrated to schema version %d", version)
    return MIGRATIONS[-1][0]


def _redact(url: str) -> str:
    """Hide a password in a database URL before it reaches a log or a message."""
    head, sep, tail = url.partition("@")
    if not sep or "://" not in head:
        return url
    scheme, _, creds = head.partition("://")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{tail}" if ":" in creds else url
