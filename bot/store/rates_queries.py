"""Grouped counts of stored bounces per sending domain and time range; bot/monitor/rates.py computes on them.

Every query filters on `domain IN (...)` and a range of `occurred_at`, which the (domain, occurred_at)
index serves, and groups in SQL, so a window costs the rows in it, not the whole history; the window
is read in one pass grouped on every dimension at once, which costs a third of one query per dimension.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, Connection, cast, func, select
from sqlalchemy import Integer as SQLInteger

from bot.store.schema import bounce_buckets, bounces

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class BounceGroup:
    """Bounces of one domain in a time range that agree on every dimension the monitor reads."""

    reason: str
    hard: bool
    ours: bool | None
    origin_basis: str | None  # why ours / forged / unknown (models.OriginBasis)
    sender: str | None
    recipient_domain: str | None
    reporting_mta: str | None
    cited_blocklists: str | None  # space-separated zones
    first_hop_ip: str | None
    count: int


def utc(moment: datetime) -> datetime:
    """Aware UTC; SQLite hands datetimes back naive (they are stored as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def utc_or_none(moment: datetime | None) -> datetime | None:
    """`utc` for a nullable column."""
    return None if moment is None else utc(moment)


def window_groups(conn: Connection, domains: Sequence[str], start: datetime,
                  end: datetime) -> dict[str, list[BounceGroup]]:
    """Each domain's bounces with start <= occurred_at < end, grouped in one pass; domains without any are absent."""
    if not domains:
        return {}
    dimensions = (bounces.c.reason, bounces.c.hard, bounces.c.ours, bounces.c.origin_basis, bounces.c.sender,
                  bounces.c.recipient_domain, bounces.c.reporting_mta, bounces.c.cited_blocklists,
                  bounces.c.first_hop_ip)
    query = (select(bounces.c.domain, *dimensions, func.count())
             .where(*_failed_between(domains, start, end)).group_by(bounces.c.domain, *dimensions))
    groups: dict[str, list[BounceGroup]] = defaultdict(list)
    for domain, reason, hard, ours, basis, sender, receiver, mta, blocklists, hop, count in conn.execute(query):
        groups[domain].append(BounceGroup(reason=reason, hard=bool(hard), ours=ours, origin_basis=basis, sender=sender,
                                          recipient_domain=receiver, reporting_mta=mta,
                                          cited_blocklists=blocklists, first_hop_ip=hop, count=count))
    return dict(groups)


def baseline_counts(conn: Connection, domains: Sequence[str], before: datetime, window: timedelta,
                    windows: int) -> dict[str, dict[int, int]]:
    """Failed bounces per domain in each of the `windows` windows of length `window` that end at `before`.

    Read from the hourly buckets (bot/store/buckets.py), not the bounce rows, so the cost stays flat as
    history grows: `before` is taken back to its hour, and an hour counts in the window its start is in
    (exact for windows of whole hours, which is what figures.py asks for). Window k covers
    [before - (k+1)·window, before - k·window); empty windows are absent from the result.
    """
    if not domains or windows <= 0:
        return {}
    before = utc(before).replace(minute=0, second=0, microsecond=0)
    start_column = bounce_buckets.c.bucket_start
    # An hour is placed by its middle, so [03:00, 04:00) lands in the window that holds it, not the next.
    bucket = _window_index(conn, before - timedelta(minutes=30), window, start_column).label("bucket")
    query = (select(bounce_buckets.c.domain, bucket, func.sum(bounce_buckets.c.failed))
             .where(bounce_buckets.c.domain.in_(list(domains)), start_column >= before - window * windows,
                    start_column < before, bounce_buckets.c.failed > 0)
             .group_by(bounce_buckets.c.domain, bucket))
    counts: dict[str, dict[int, int]] = defaultdict(dict)
    for domain, index, count in conn.execute(query):
        counts[domain][int(index)] = int(count)
    return dict(counts)


class BaselineCache:
    """`baseline_counts` for a long-running bot: the past week barely moves in an hour, so it is read once an hour.

    The windows then end at the last full `every` (UTC) instead of at the window's start, which leaves
    the baseline as typical as before and makes the query, the dearest of an evaluation, rare.
    """

    def __init__(self, every: timedelta = timedelta(hours=1), keep: int = 8) -> None:
        self._every = every
        self._keep = keep
        self._cached: dict[tuple[object, ...], dict[str, dict[int, int]]] = {}
        self._lock = threading.Lock()

    def counts(self, conn: Connection, domains: Sequence[str], before: datetime, window: timedelta,
               windows: int) -> dict[str, dict[int, int]]:
        before = utc(before)
        anchor = before - (before - _EPOCH) % self._every
        key = (str(conn.engine.url), tuple(domains), anchor, window, windows)
        with self._lock:
            if key in self._cached:
                return self._cached[key]
        counts = baseline_counts(conn, domains, anchor, window, windows)
        with self._lock:
            self._cached[key] = counts
            while len(self._cached) > self._keep:
                del self._cached[next(iter(self._cached))]
        return counts


def _failed_between(domains: Sequence[str], start: datetime, end: datetime | None) -> list[ColumnElement[bool]]:
    """Failed recipients (not 'delayed' warnings) of the domains with start <= occurred_at < end."""
    where = [bounces.c.domain.in_(domains), bounces.c.action == "failed", bounces.c.occurred_at >= utc(start)]
    return where if end is None else [*where, bounces.c.occurred_at < utc(end)]


def _window_index(conn: Connection, before: datetime, window: timedelta,
                  column: ColumnElement[datetime]) -> ColumnElement[int]:
    """floor((before - column) / window) in the dialect's own date arithmetic."""
    seconds = window.total_seconds()
    if conn.dialect.name == "sqlite":
        # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff' UTC text, which julianday() reads; the value is never
        # negative, so CAST's truncation is floor (SQLite may be built without floor()).
        julian = before.timestamp() / 86400.0 + 2440587.5
        return cast((julian - func.julianday(column)) * (86400.0 / seconds), SQLInteger)
    return cast(func.floor((before.timestamp() - func.extract("epoch", column)) / seconds), SQLInteger)
