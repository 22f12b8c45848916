"""The Slack outbox: what the bot has to post, claimed with leases, delivered in order, or kept as a dead letter.

    policy (bot/slack/notifier.py) ──enqueue──► outbox ──claim──► delivery (bot/slack/delivery.py)
                                                  ▲  └── delivered (ts) · retry_later · dead (refused)
    `bouncecheck outbox list | retry | discard` ──┘

A row is claimed (`FOR UPDATE SKIP LOCKED` on PostgreSQL) only when every earlier row of its
incident is delivered, so a follow-up never precedes its card. A dead letter does not hold the
later rows of its incident back, except a dead card: its thread waits for it (nothing is silently
lost behind it), and goes out once an admin has fixed the cause and run `outbox retry`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, and_, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.store.rates_queries import utc, utc_or_none
from bot.store.schema import outbox
from bot.store.slack_messages import remember


class Action(StrEnum):
    POST_CARD = "post_card"  # the incident's card, top level
    UPDATE_CARD = "update_card"  # the card edited in place
    POST_THREAD = "post_thread"  # a reply in the card's thread
    UPLOAD = "upload"  # a chart into the thread
    POST_MESSAGE = "post_message"  # a top-level message of no incident (ops notices)
    POST_REPLY = "post_reply"  # a reply in the thread of a POST_MESSAGE, named by its key in payload["parent"]


TOP_LEVEL = frozenset({Action.POST_CARD, Action.POST_MESSAGE})
IN_FLIGHT = "in flight: the attempt did not finish"  # `last_error` while a row is being sent


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxRow:
    """A message to send, before it is stored."""

    dedupe_key: str
    incident_id: int | None
    action: Action
    channel: str | None
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Claimed:
    """A row taken for one delivery attempt."""

    id: int
    dedupe_key: str
    incident_id: int | None
    action: Action
    channel: str | None
    payload: dict[str, Any]
    attempts: int  # this one included
    created_at: datetime
    last_error: str | None  # how the attempt before this one ended (IN_FLIGHT: it never did)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeadLetter:
    id: int
    dedupe_key: str
    incident_id: int | None
    action: Action
    channel: str | None
    attempts: int
    created_at: datetime
    dead_at: datetime
    error: str
    summary: str  # the message's fallback text, cut


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryFacts:
    """What health and App Home say about delivery."""

    pending: int
    oldest_pending_at: datetime | None  # of those not waiting behind a dead card
    dead: int
    behind_dead: int  # pending rows of incidents whose card is a dead letter
    first_dead_error: str
    token_error: str  # the last attempt's error when Slack refused the token, else ""


# --------------------------------------------------------------------------- enqueue


def enqueue(engine: Engine, rows: Sequence[OutboxRow], now: datetime) -> int:
    """Store rows in order; a row whose dedupe_key is already there is skipped. Returns how many were new."""
    if not rows:
        return 0
    with engine.begin() as conn:
        return sum(_insert_ignore(conn, row, now) for row in rows)


def _insert_ignore(conn: Connection, row: OutboxRow, now: datetime) -> int:
    values = {"dedupe_key": row.dedupe_key[:200], "incident_id": row.incident_id, "action": row.action.value,
              "channel": row.channel, "payload": row.payload, "created_at": now, "attempts": 0,
              "next_attempt_at": now}
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement: Any = insert(outbox).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    # The rows it returns, not rowcount: with psycopg and SQLAlchemy 2.1 an insert's rowcount is -1 (true)
    # whether the row went in or not, so a notice's second step looked like its first.
    return len(conn.execute(statement.returning(outbox.c.id)).all())


@dataclass(frozen=True, slots=True)
class ParentState:
    """Where a POST_MESSAGE went, as its replies need it."""

    channel: str | None
    ts: str | None  # None until it is delivered
    dead: bool


def parent_state(engine: Engine, dedupe_key: str) -> ParentState | None:
    with engine.connect() as conn:
        row = conn.execute(select(outbox.c.channel, outbox.c.ts, outbox.c.delivered_at, outbox.c.dead_at)
                           .where(outbox.c.dedupe_key == dedupe_key[:200])).first()  # as enqueue stores it
    if row is None:
        return None
    return ParentState(channel=row.channel, ts=row.ts if row.delivered_at else None, dead=row.dead_at is not None)


# --------------------------------------------------------------------------- claim and settle


_PENDING = and_(outbox.c.delivered_at.is_(None), outbox.c.dead_at.is_(None))


def claim(engine: Engine, owner: str, now: datetime, lease: timedelta) -> Claimed | None:
    """The next due row whose incident has nothing earlier waiting, leased to `owner`; None when none is due."""
    earlier = outbox.alias("earlier")
    blocking = and_(earlier.c.delivered_at.is_(None),
                    or_(earlier.c.dead_at.is_(None), earlier.c.action == Action.POST_CARD.value))
    head = (select(outbox.c.id, outbox.c.last_error)
            .where(_PENDING, outbox.c.next_attempt_at <= now,
                   or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now),
                   ~exists().where(earlier.c.incident_id == outbox.c.incident_id, earlier.c.id < outbox.c.id,
                                   blocking))
            .order_by(outbox.c.id).limit(1))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            head = head.with_for_update(skip_locked=True, of=outbox)
        found = conn.execute(head).first()
        if found is None:
            return None
        row_id, previous_error = found
        # The conditions again: on SQLite there is no row lock, so the UPDATE is what claims. The
        # marker stays if this attempt never finishes (a kill): the next one then knows it may have
        # posted, whatever the attempt before it was told.
        claimed = conn.execute(update(outbox).where(
            outbox.c.id == row_id, _PENDING, or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now))
            .values(lease_owner=owner, lease_until=now + lease, attempts=outbox.c.attempts + 1,
                    last_error=IN_FLIGHT))
        if claimed.rowcount != 1:
            return None
        row = conn.execute(select(outbox).where(outbox.c.id == row_id)).mappings().one()
    return Claimed(id=int(row["id"]), dedupe_key=str(row["dedupe_key"]), incident_id=row["incident_id"],
                   action=Action(row["action"]), channel=row["channel"], payload=dict(row["payload"]),
                   attempts=int(row["attempts"]), created_at=utc(row["created_at"]), last_error=previous_error)


def superseded(engine: Engine, row: Claimed) -> bool:
    """A newer card update is queued: this one would only flash an old state."""
    with engine.connect() as conn:
        return bool(conn.scalar(select(exists().where(
            outbox.c.incident_id == row.incident_id, outbox.c.action == Action.UPDATE_CARD.value,
            outbox.c.id > row.id, _PENDING))))


def delivered(engine: Engine, row: Claimed, now: datetime, *, ts: str | None, channel: str | None) -> None:
    """Mark the row sent; a card's location is recorded in the same transaction, so it is never posted twice."""
    with engine.begin() as conn:
        conn.execute(update(outbox).where(outbox.c.id == row.id).values(
            delivered_at=now, ts=ts, channel=channel or row.channel, lease_owner=None, lease_until=None,
            last_error=None))
        if row.action is Action.POST_CARD and row.incident_id is not None and ts and channel:
            remember(conn, row.incident_id, channel=channel, ts=ts, at=now)


def retry_later(engine: Engine, row: Claimed, *, at: datetime, error: str) -> None:
    _settle(engine, row, last_error=error[:2000], next_attempt_at=at)


def dead(engine: Engine, row: Claimed, now: datetime, *, error: str) -> None:
    _settle(engine, row, last_error=error[:2000], dead_at=now)


def _settle(engine: Engine, row: Claimed, **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(update(outbox).where(outbox.c.id == row.id, outbox.c.delivered_at.is_(None))
                     .values(lease_owner=None, lease_until=None, **values))


# --------------------------------------------------------------------------- dead letters


def dead_letters(conn: Connection, ids: Sequence[int] = ()) -> list[DeadLetter]:
    query = select(outbox).where(outbox.c.dead_at.is_not(None), outbox.c.delivered_at.is_(None)).order_by(outbox.c.id)
    if ids:
        query = query.where(outbox.c.id.in_(ids))
    return [DeadLetter(id=int(row["id"]), dedupe_key=str(row["dedupe_key"]), incident_id=row["incident_id"],
                       action=Action(row["action"]), channel=row["channel"], attempts=int(row["attempts"]),
                       created_at=utc(row["created_at"]), dead_at=utc(row["dead_at"]),
                       error=str(row["last_error"] or ""), summary=_summary(row["payload"]))
            for row in conn.execute(query).mappings()]


def revive(engine: Engine, ids: Sequence[int] = ()) -> int:
    """Dead letters (all, or these) back in the queue with a fresh count of attempts, due at once (as of when
    they were queued: the bot's clock and the admin's may differ)."""
    where = [outbox.c.dead_at.is_not(None), outbox.c.delivered_at.is_(None)]
    if ids:
        where.append(outbox.c.id.in_(ids))
    with engine.begin() as conn:
        result = conn.execute(update(outbox).where(*where).values(
            dead_at=None, attempts=0, next_attempt_at=outbox.c.created_at, last_error=None))
    return int(result.rowcount or 0)


def discard(engine: Engine, now: datetime, ids: Sequence[int]) -> int:
    """Give dead letters up for good: they count as done (their incident's later rows go on)."""
    with engine.begin() as conn:
        result = conn.execute(update(outbox).where(
            outbox.c.id.in_(ids), outbox.c.dead_at.is_not(None), outbox.c.delivered_at.is_(None))
            .values(delivered_at=now, last_error=outbox.c.last_error + " (discarded)"))
    return int(result.rowcount or 0)


def delivery_facts(conn: Connection) -> DeliveryFacts:
    card = outbox.alias("card")
    dead_cards = select(card.c.incident_id).where(card.c.action == Action.POST_CARD.value,
                                                   card.c.dead_at.is_not(None), card.c.delivered_at.is_(None))
    behind = and_(outbox.c.incident_id.is_not(None), outbox.c.incident_id.in_(dead_cards))
    total = conn.scalar(select(func.count()).where(_PENDING)) or 0
    pending = conn.execute(select(func.count(), func.min(outbox.c.created_at)).where(_PENDING, ~behind)).one()
    dead_count = conn.scalar(select(func.count()).where(outbox.c.dead_at.is_not(None),
                                                       outbox.c.delivered_at.is_(None))) or 0
    first_dead = conn.scalar(select(outbox.c.last_error).where(
        outbox.c.dead_at.is_not(None), outbox.c.delivered_at.is_(None)).order_by(outbox.c.id).limit(1))
    token = conn.scalar(select(outbox.c.last_error).where(_PENDING, outbox.c.last_error.like("token:%"))
                        .order_by(outbox.c.id.desc()).limit(1))
    return DeliveryFacts(pending=int(total), oldest_pending_at=utc_or_none(pending[1]), dead=int(dead_count),
                         behind_dead=int(total) - int(pending[0] or 0), first_dead_error=str(first_dead or ""),
                         token_error=str(token or ""))


def _summary(payload: Any) -> str:
    text = str((payload or {}).get("text") or (payload or {}).get("title") or "")
    return text if len(text) <= 80 else text[:79] + "…"


def queued(engine: Engine, dedupe_key: str) -> bool:
    """Whether a row of this key was ever queued (sent, waiting or dead)."""
    with engine.connect() as conn:
        return bool(conn.scalar(select(exists().where(outbox.c.dedupe_key == dedupe_key[:200]))))


def latest_card(engine: Engine, incident_id: int) -> dict[str, Any] | None:
    """The payload of the incident's newest card row (its post or an update, sent or waiting): what the card
    says, or is about to. None when it has none, or when Slack refused the newest (a dead letter is sent
    again by `outbox retry`, not by a new row every minute)."""
    with engine.connect() as conn:
        row = conn.execute(select(outbox.c.payload, outbox.c.dead_at).where(
            outbox.c.incident_id == incident_id,
            outbox.c.action.in_([Action.POST_CARD.value, Action.UPDATE_CARD.value]))
            .order_by(outbox.c.id.desc()).limit(1)).first()
    return dict(row.payload) if row is not None and row.dead_at is None else None
