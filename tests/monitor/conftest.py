"""Monitor test helpers: a temp SQLite store, settings with a small threshold, crafted bounce rows."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.config import Settings, settings_from_mapping
from bot.store.buckets import add_to_buckets
from bot.store.database import open_engine
from bot.store.schema import bounces, messages
from tests.servers.postgres import pg_url

__all__ = ["pg_url"]

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DOMAIN = "example.com"


def monitor_settings(**monitor: Any) -> Settings:
    values: dict[str, Any] = {"domains": [DOMAIN], "window": "1h", "alert_bounces": 50, "resolve_after": "2h",
                              "followup_floor": "15m", "baseline_days": 7, "baseline_factor": 3.0,
                              "grew_factor": 1.5}
    return settings_from_mapping({"monitor": values | monitor}, "test")


@pytest.fixture
def settings() -> Settings:
    return monitor_settings()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """The store on SQLite, then on PostgreSQL (the scale-out backend: other date arithmetic, row locks)."""
    url = (f"sqlite:///{tmp_path / 'bouncecheck.db'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_url"))
    engine = open_engine(url)
    yield engine
    engine.dispose()


@dataclass(frozen=True, slots=True, kw_only=True)
class Bounce:
    """One failed recipient as the ingestion stores it; defaults are a plain bounce of our own mail."""

    domain: str = DOMAIN
    recipient_domain: str = "example.org"
    reason: str = "mailboxfull"
    hard: bool = False
    ours: bool | None = True
    sender: str = "alice@example.com"
    reporting_mta: str = "mx.example.org"
    first_hop_ip: str | None = "192.0.2.10"
    cited_blocklists: str | None = None
    action: str = "failed"


_serial = itertools.count(1)


def add_bounces(engine: Engine, at: datetime | list[datetime], count: int = 1, bounce: Bounce | None = None,
                **fields: Any) -> None:
    """`count` bounces at `at` (or one at each of a list of times), one stored message each."""
    bounce = bounce or Bounce(**fields)
    times = at if isinstance(at, list) else [at] * count
    with engine.begin() as conn:
        ids = conn.execute(messages.insert().returning(messages.c.id, sort_by_parameter_order=True), [
            {"mailbox": "postmaster", "folder": "INBOX", "content_hash": f"h{next(_serial)}", "received_at": t,
             "scanned_at": t, "kind": "bounce"} for t in times]).scalars().all()
        rows = [
            {"message_row": message_id, "occurred_at": t, "recipient": f"r{n}@{bounce.recipient_domain}",
             "domain": bounce.domain, "recipient_domain": bounce.recipient_domain, "reason": bounce.reason,
             "hard": bounce.hard, "ours": bounce.ours, "sender": bounce.sender,
             "reporting_mta": bounce.reporting_mta, "first_hop_ip": bounce.first_hop_ip,
             "cited_blocklists": bounce.cited_blocklists, "action": bounce.action}
            for n, (message_id, t) in enumerate(zip(ids, times, strict=True))]
        conn.execute(bounces.insert(), rows)
        add_to_buckets(conn, rows)  # as ingest.save_batch does


def spread(start: datetime, end: datetime, count: int) -> list[datetime]:
    """`count` moments evenly spread over [start, end)."""
    step = (end - start) / count
    return [start + step * i for i in range(count)]


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
