"""What the volume sources counted, their read positions and their health; the sent side of a bounce rate.

Written by the volume job (bot/volume/job.py) after each read, in one transaction with the source's
new cursor, so a crash between the two neither loses nor double-counts a message. Read by the
figures (bot/store/figures.py) when a rate is judged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.config import said
from bot.errors import StoreError
from bot.store.rates_queries import utc, utc_or_none
from bot.store.schema import sent_counts, sent_senders, sent_totals, volume_sources
from bot.volume import sender_key


class ReadMeanwhile(StoreError):
    """Another collector saved a read of this source since `state_of`: this one's counts would double them."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceState:
    source: str
    cursor: Any = None  # the source's own: log cursors by path, a folder's "uidvalidity:uid"
    last_ok_at: datetime | None = None
    last_error: str = ""
    last_error_at: datetime | None = None
    notes: tuple[str, ...] = ()
    # since when the counts are whole: a log read from its end, or after a lost tail, counts from then
    counting_since: datetime | None = None
    reads: int = 0  # successful reads saved: the claim that keeps two collectors from saving the same one

    def healthy(self, now: datetime, stale_after: timedelta, window: timedelta) -> str:
        """"" when the source can be trusted at `now`, else why not (a sentence). With the `window`,
        a source that has not counted a whole window yet is not trusted either."""
        if self.last_error_at is not None and (self.last_ok_at is None or self.last_error_at > self.last_ok_at):
            return f"volume source {self.source} failed: {self.last_error}"
        if self.last_ok_at is None:
            return f"volume source {self.source} has not been read yet"
        if now - self.last_ok_at > stale_after:
            return f"volume source {self.source} has not been read since {self.last_ok_at:%Y-%m-%d %H:%M} UTC"
        if self.counting_since is None or self.counting_since > now - window:
            since = f"{self.counting_since:%Y-%m-%d %H:%M} UTC" if self.counting_since else "a moment unknown"
            return f"volume source {self.source} has counted only since {since}, less than the {said(window)} window"
        return ""


def state_of(conn: Connection, source: str) -> SourceState:
    row = conn.execute(select(volume_sources).where(volume_sources.c.source == source)).mappings().first()
    if row is None:
        return SourceState(source=source)
    return SourceState(source=source, cursor=row["cursor"], last_ok_at=utc_or_none(row["last_ok_at"]),
                       last_error=str(row["last_error"] or ""), last_error_at=utc_or_none(row["last_error_at"]),
                       notes=tuple(row["notes"] or ()), counting_since=utc_or_none(row["counting_since"]),
                       reads=int(row["reads"] or 0))


def states(conn: Connection, sources: Sequence[str]) -> dict[str, SourceState]:
    return {source: state_of(conn, source) for source in sources}


def record_read(conn: Connection, source: str, *, now: datetime, cursor: Any,
                counts: Mapping[tuple[str, datetime], int],
                totals: Mapping[str, tuple[datetime, timedelta, int]], notes: Sequence[str] = (),
                senders: Mapping[tuple[str, datetime], int] | None = None,
                sender_domains: Mapping[str, str] | None = None, reads: int = 0,
                counting_since: datetime | None = None, replaces_since: datetime | None = None) -> None:
    """A successful read: its counts added, its totals replaced, its cursor and health saved together.

    `reads` is what `state_of` said before the read: the source's row is claimed first, and when
    another collector saved a read meanwhile this raises `ReadMeanwhile`, for the caller to roll the
    whole transaction back. `sender_domains` maps a sender's domain to the monitored one it counts
    for (a subdomain's sender for its parent); `counting_since`, when set, replaces the stored one."""
    _claim(conn, source, reads)
    if replaces_since is not None:  # counted again from then: replace, do not add a second time
        conn.execute(sent_counts.delete().where(sent_counts.c.source == source,
                                                sent_counts.c.minute >= utc(replaces_since)))
        whole_hour = replaces_since.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        conn.execute(sent_senders.delete().where(sent_senders.c.source == source,
                                                 sent_senders.c.hour >= utc(whole_hour)))
    for (domain, minute), n in counts.items():
        _add_count(conn, sent_counts, {"source": source, "domain": domain, "minute": utc(minute)}, n)
    by_hour: Counter[tuple[str, datetime]] = Counter()
    for (address, minute), n in (senders or {}).items():
        by_hour[(sender_key(address), minute.replace(minute=0, second=0, microsecond=0))] += n
    for (sender, hour), n in by_hour.items():
        domain = sender.rpartition("@")[2]
        _add_count(conn, sent_senders, {"source": source, "sender": sender[:320], "hour": utc(hour)}, n,
                   domain=(sender_domains or {}).get(domain, domain))
    for domain, (at, span, n) in totals.items():
        _upsert(conn, sent_totals, {"source": source, "domain": domain},
                {"at": utc(at), "span_seconds": int(span.total_seconds()), "count": n})
    since = {"counting_since": utc(counting_since)} if counting_since is not None else {}
    _upsert(conn, volume_sources, {"source": source},
            {"cursor": cursor, "last_ok_at": utc(now), "notes": list(notes), **since})


def _claim(conn: Connection, source: str, seen: int) -> None:
    """Bumps the source's `reads` from `seen`, first thing in the transaction: the row (PostgreSQL) or the
    database (SQLite) stays locked to its end, so a second collector that read the same cursor finds
    the count moved and claims nothing."""
    claimed = conn.execute(update(volume_sources).where(volume_sources.c.source == source,
                                                        volume_sources.c.reads == seen)
                           .values(reads=seen + 1)).rowcount
    if not claimed and seen == 0:  # the source's first row
        statement = _insert(conn, volume_sources).values(source=source, reads=1)
        # the rows it returns, not rowcount: an insert's rowcount is -1 on PostgreSQL (outbox_store.enqueue)
        claimed = len(conn.execute(statement.on_conflict_do_nothing(index_elements=["source"])
                                   .returning(volume_sources.c.source)).all())
    if not claimed:
        raise ReadMeanwhile(f"volume source {source} was read by another instance meanwhile")


def record_failure(conn: Connection, source: str, *, now: datetime, error: str) -> None:
    _upsert(conn, volume_sources, {"source": source}, {"last_error": error[:2000], "last_error_at": utc(now)})


def sent_between(conn: Connection, sources: Sequence[str], domains: Sequence[str], start: datetime,
                 end: datetime) -> Counter[str]:
    """Messages the sources counted per domain with start <= minute < end."""
    if not sources or not domains:
        return Counter()
    rows = conn.execute(select(sent_counts.c.domain, func.sum(sent_counts.c.count))
                        .where(sent_counts.c.source.in_(sources), sent_counts.c.domain.in_(domains),
                               sent_counts.c.minute >= utc(start), sent_counts.c.minute < utc(end))
                        .group_by(sent_counts.c.domain))
    return Counter({str(domain): int(n or 0) for domain, n in rows})


def busiest_senders(conn: Connection, sources: Sequence[str], domain: str, since: datetime, end: datetime,
                    *, limit: int = 3) -> list[tuple[str, int]]:
    """The senders of `domain` with the most messages in the hour buckets from `since` (on the hour:
    the caller says "since HH:00", as the buckets count) to `end`."""
    total = func.sum(sent_senders.c.count)
    rows = conn.execute(select(sent_senders.c.sender, total)
                        .where(sent_senders.c.source.in_(sources), sent_senders.c.domain == domain,
                               sent_senders.c.hour >= utc(since), sent_senders.c.hour < utc(end))
                        .group_by(sent_senders.c.sender).order_by(total.desc(), sent_senders.c.sender).limit(limit))
    return [(str(sender), int(n or 0)) for sender, n in rows]


def earliest_sender_hours(conn: Connection, sources: Sequence[str], start: datetime, end: datetime
                          ) -> dict[str, datetime]:
    """Each source's first hour in [start, end) it counted any sender in: how far its history goes."""
    rows = conn.execute(select(sent_senders.c.source, func.min(sent_senders.c.hour))
                        .where(sent_senders.c.source.in_(sources), sent_senders.c.hour >= utc(start),
                               sent_senders.c.hour < utc(end))
                        .group_by(sent_senders.c.source))
    return {str(source): utc(first) for source, first in rows if first is not None}


def sent_by(conn: Connection, sources: Sequence[str], sender: str, start: datetime, end: datetime) -> int:
    return int(conn.scalar(select(func.coalesce(func.sum(sent_senders.c.count), 0))
                           .where(sent_senders.c.source.in_(sources), sent_senders.c.sender == sender,
                                  sent_senders.c.hour >= utc(start), sent_senders.c.hour < utc(end))) or 0)


def totals_of(conn: Connection, source: str, domains: Sequence[str]) -> dict[str, tuple[datetime, timedelta, int]]:
    rows = conn.execute(select(sent_totals).where(sent_totals.c.source == source,
                                                  sent_totals.c.domain.in_(domains))).mappings()
    return {str(r["domain"]): (utc(r["at"]), timedelta(seconds=int(r["span_seconds"])), int(r["count"]))
            for r in rows}


def prune(conn: Connection, before: datetime) -> int:
    conn.execute(sent_senders.delete().where(sent_senders.c.hour < utc(before)))
    return int(conn.execute(sent_counts.delete().where(sent_counts.c.minute < utc(before))).rowcount or 0)


def _insert(conn: Connection, table: Any) -> Any:
    """The dialect's INSERT, which has ON CONFLICT on both stores."""
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def _add_count(conn: Connection, table: Any, key: Mapping[str, Any], n: int, **values: Any) -> None:
    """`n` more in the row of `key` (created at `n`)."""
    statement = _insert(conn, table).values(**key, **values, count=n)
    conn.execute(statement.on_conflict_do_update(index_elements=list(key), set_={"count": table.c.count + n}))


def _upsert(conn: Connection, table: Any, key: Mapping[str, Any], values: Mapping[str, Any]) -> None:
    statement = _insert(conn, table).values(**key, **values)
    conn.execute(statement.on_conflict_do_update(index_elements=list(key), set_=dict(values)))
