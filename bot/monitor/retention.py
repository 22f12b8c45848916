"""Prune what is older than `[schedule] retention`: bounce records, reputation history, resolved incidents,
and server names last seen in our own mail that long ago.

Called by bot/jobs.py once a day. The seen-message markers (`messages`) are kept: they are what keeps
a rescan after a UIDVALIDITY reset or a restored mailbox from counting old bounces again. The latest
reputation check of each domain is kept whatever its age, as the baseline the watch compares with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func, select

from bot.config import Settings
from bot.models import IncidentState, ServerSource
from bot.store import volume_store
from bot.store.rates_queries import utc
from bot.store.schema import (
    bounce_buckets,
    bounces,
    incident_events,
    incidents,
    known_servers,
    reputation_checks,
    reputation_runs,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Pruned:
    bounces: int = 0
    reputation_checks: int = 0
    incidents: int = 0


def prune(engine: Engine, settings: Settings, now: datetime) -> Pruned:
    cutoff = utc(now - settings.schedule.retention)
    with engine.begin() as conn:
        pruned_bounces = conn.execute(delete(bounces).where(bounces.c.occurred_at < cutoff)).rowcount
        # An hour wholly before the cutoff: its rows are gone, so its count goes too.
        conn.execute(delete(bounce_buckets).where(bounce_buckets.c.bucket_start < cutoff - timedelta(hours=1)))
        newest = select(func.max(reputation_runs.c.id)).group_by(reputation_runs.c.domain).scalar_subquery()
        old_runs = select(reputation_runs.c.id).where(reputation_runs.c.checked_at < cutoff,
                                                      reputation_runs.c.id.not_in(newest)).scalar_subquery()
        pruned_checks = conn.execute(delete(reputation_checks).where(
            reputation_checks.c.run_id.in_(old_runs)
            | (reputation_checks.c.run_id.is_(None) & (reputation_checks.c.checked_at < cutoff)))).rowcount
        conn.execute(delete(reputation_runs).where(reputation_runs.c.id.in_(old_runs)))
        old_incidents = select(incidents.c.id).where(incidents.c.state == IncidentState.RESOLVED.value,
                                                     incidents.c.resolved_at < cutoff).scalar_subquery()
        conn.execute(delete(incident_events).where(incident_events.c.incident_id.in_(old_incidents)))
        pruned_incidents = conn.execute(delete(incidents).where(incidents.c.id.in_(old_incidents))).rowcount
        # A name our own mail has not shown for that long is no evidence any more; DNS-learned ones are
        # replaced by every check instead.
        conn.execute(delete(known_servers).where(
            known_servers.c.source.in_([ServerSource.BOUNCES.value, ServerSource.LOGS.value]),
            known_servers.c.learned_at < cutoff))
        volume_store.prune(conn, cutoff)
    return Pruned(bounces=pruned_bounces, reputation_checks=pruned_checks, incidents=pruned_incidents)
