"""What `/healthz` and App Home read to tell what is degraded: failing mailboxes, failed checks, Slack delivery.

Called by bot/monitor/health.py; read-only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from bot.store.incidents_store import CheckFailure, latest_failures
from bot.store.ingest import FolderState, folder_states
from bot.store.outbox_store import DeliveryFacts, delivery_facts


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthFacts:
    folders: tuple[FolderState, ...]
    failed_checks: dict[str, CheckFailure]
    delivery: DeliveryFacts
    now: datetime


def health_facts(conn: Connection, domains: Sequence[str], now: datetime) -> HealthFacts:
    return HealthFacts(folders=tuple(folder_states(conn)), failed_checks=latest_failures(conn, domains),
                       delivery=delivery_facts(conn), now=now)
