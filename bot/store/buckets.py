"""Per-domain bounce counts by hour, kept in the transaction that stores the bounces they count.

The baseline (a week of windows) reads these, not the bounce rows: an evaluation then costs the
same with 1 M or 10 M records stored. Written by `add_to_buckets` (ingest.save_batch, in the batch's
transaction), read by rates_queries.baseline_counts, pruned with the bounces by retention.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, case, func, select
from sqlalchemy.dialects import postgresql, sqlite

from bot.store.rates_queries import utc
from bot.store.schema import bounce_buckets, bounces

BUCKET = timedelta(hours=1)


def bucket_of(moment: datetime) -> datetime:
    """The start of the UTC hour `moment` falls in."""
    return utc(moment).replace(minute=0, second=0, microsecond=0)


def add_to_buckets(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Count bounce rows (domain, occurred_at, action) into their hours; rows of no domain of ours are skipped."""
    counts: Counter[tuple[str, datetime, str]] = Counter(
        (row["domain"], bucket_of(row["occurred_at"]), row["action"]) for row in rows if row.get("domain"))
    if not counts:
        return
    merged: dict[tuple[str, datetime], dict[str, int]] = {}
    for (domain, start, action), n in counts.items():
        entry = merged.setdefault((domain, start), {"failed": 0, "delayed": 0})
        entry["failed" if action == "failed" else "delayed"] += n
    values = [{"domain": d, "bucket_start": start, **n} for (d, start), n in sorted(merged.items())]
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(bounce_buckets)
    conn.execute(statement.on_conflict_do_update(
        index_elements=[bounce_buckets.c.domain, bounce_buckets.c.bucket_start],
        set_={"failed": bounce_buckets.c.failed + statement.excluded.failed,
              "delayed": bounce_buckets.c.delayed + statement.excluded.delayed}), values)


def rebuild(conn: Connection) -> None:
    """Fill the buckets from the stored bounces in one statement (the migration that introduces them)."""
    conn.execute(bounce_buckets.delete())
    if conn.dialect.name == "sqlite":  # stored as 'YYYY-MM-DD HH:MM:SS.ffffff', the form SQLAlchemy reads back
        hour: Any = func.strftime("%Y-%m-%d %H:00:00.000000", bounces.c.occurred_at)
    else:
        hour = func.date_trunc("hour", bounces.c.occurred_at)
    failed = func.sum(case((bounces.c.action == "failed", 1), else_=0))
    delayed = func.sum(case((bounces.c.action == "failed", 0), else_=1))
    grouped = (select(bounces.c.domain, hour, failed, delayed).where(bounces.c.domain.is_not(None))
               .group_by(bounces.c.domain, hour))
    conn.execute(bounce_buckets.insert().from_select(["domain", "bucket_start", "failed", "delayed"], grouped))
