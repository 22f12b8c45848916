"""Silences set with `/bouncecheck silence`: stored so every instance and a restart honour them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select, update

from bot.store.rates_queries import utc
from bot.store.schema import silences


@dataclass(frozen=True, slots=True, kw_only=True)
class Silence:
    id: int
    domain: str
    starts_at: datetime
    ends_at: datetime
    set_by: str
    reason: str


def add(conn: Connection, domain: str, *, starts_at: datetime, ends_at: datetime, set_by: str, reason: str) -> int:
    """A new silence; one already running for the domain is ended by it (the newest says how long)."""
    lift(conn, domain, by=set_by, now=starts_at)
    return int(conn.execute(silences.insert().values(
        domain=domain, starts_at=utc(starts_at), ends_at=utc(ends_at), set_by=set_by[:100], reason=reason,
    ).returning(silences.c.id)).scalar_one())


def lift(conn: Connection, domain: str, *, by: str, now: datetime) -> int:
    """End the domain's running silences now; how many there were."""
    lifted = conn.execute(update(silences).where(silences.c.domain == domain, silences.c.lifted_at.is_(None),
                                                 silences.c.ends_at > utc(now))
                          .values(lifted_at=utc(now), lifted_by=by[:100]))
    return int(lifted.rowcount or 0)


def running(conn: Connection, now: datetime, domain: str | None = None) -> list[Silence]:
    """The silences in force at `now`, of one domain or of all, the one ending last first."""
    query = select(silences).where(silences.c.lifted_at.is_(None), silences.c.starts_at <= utc(now),
                                   silences.c.ends_at > utc(now))
    if domain is not None:
        query = query.where(silences.c.domain == domain)
    rows = conn.execute(query.order_by(silences.c.ends_at.desc(), silences.c.id)).mappings()
    return [Silence(id=int(r["id"]), domain=str(r["domain"]), starts_at=utc(r["starts_at"]), ends_at=utc(r["ends_at"]),
                    set_by=str(r["set_by"]), reason=str(r["reason"] or "")) for r in rows]
