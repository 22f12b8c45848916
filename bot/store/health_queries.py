"""What `/healthz` and App Home read to tell what is degraded: failing mailboxes, failed checks, refused posts.

Called by bot/monitor/health.py; read-only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select

from bot.store.incidents_store import CheckFailure, latest_failures
from bot.store.ingest import FolderState, folder_states
from bot.store.rates_queries import utc, utc_or_none
from bot.store.schema import outbox

REFUSED_SINCE = timedelta(days=1)  # refused posts this recent make the bot degraded


@dataclass(frozen=True, slots=True, kw_only=True)
class Refused:
    count: int
    last_error: str
    last_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthFacts:
    folders: tuple[FolderState, ...]
    failed_checks: dict[str, CheckFailure]
    refused: Refused


def health_facts(conn: Connection, domains: Sequence[str], now: datetime) -> HealthFacts:
    refused = (outbox.c.last_error.like("refused:%"), outbox.c.ts.is_(None),
               outbox.c.created_at >= utc(now - REFUSED_SINCE))
    count = conn.scalar(select(func.count()).select_from(outbox).where(*refused)) or 0
    last = conn.execute(select(outbox.c.last_error, outbox.c.created_at).where(*refused)
                        .order_by(outbox.c.id.desc()).limit(1)).first()
    return HealthFacts(folders=tuple(folder_states(conn)), failed_checks=latest_failures(conn, domains),
                       refused=Refused(count=int(count), last_error=str(last[0]) if last else "",
                                       last_at=utc_or_none(last[1]) if last else None))
