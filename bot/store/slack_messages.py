"""Where the bot's Slack messages live: an incident's card by (incident, role), and the incident of a thread.

Written by the delivery when Slack answers a post with its `ts`; read by the delivery (to reply in
the card's thread, to update the card) and by the listeners (a click or a reply in a thread).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select, update

from bot.store.rates_queries import utc
from bot.store.schema import slack_messages

CARD = "card"


@dataclass(frozen=True, slots=True)
class MessageLocation:
    channel: str
    ts: str
    permalink: str | None = None  # None until Slack has told us (chat.getPermalink)


def location_of(conn: Connection, incident_id: int, role: str = CARD) -> MessageLocation | None:
    row = conn.execute(select(slack_messages.c.channel, slack_messages.c.ts, slack_messages.c.permalink).where(
        slack_messages.c.incident_id == incident_id, slack_messages.c.role == role)).first()
    return MessageLocation(channel=str(row.channel), ts=str(row.ts), permalink=row.permalink) if row else None


def posted_at(conn: Connection, incident_id: int, role: str = CARD) -> datetime | None:
    """When the incident's `role` message was posted; None while it is not."""
    found = conn.scalar(select(slack_messages.c.posted_at).where(
        slack_messages.c.incident_id == incident_id, slack_messages.c.role == role))
    return utc(found) if found is not None else None


def keep_permalink(conn: Connection, incident_id: int, permalink: str, role: str = CARD) -> None:
    conn.execute(update(slack_messages).where(slack_messages.c.incident_id == incident_id,
                                              slack_messages.c.role == role).values(permalink=permalink[:500]))


def incident_at(conn: Connection, channel: str, ts: str, role: str = CARD) -> int | None:
    """The incident whose `role` message is at (channel, ts): the card a thread hangs from."""
    found = conn.scalar(select(slack_messages.c.incident_id).where(
        slack_messages.c.channel == channel, slack_messages.c.ts == ts, slack_messages.c.role == role))
    return int(found) if found is not None else None


def remember(conn: Connection, incident_id: int, *, channel: str, ts: str, at: datetime, role: str = CARD) -> None:
    """Record where a message was posted; the first post of a role stays (a card is posted once)."""
    if location_of(conn, incident_id, role) is None:
        conn.execute(slack_messages.insert().values(incident_id=incident_id, role=role, channel=channel, ts=ts,
                                                    posted_at=utc(at)))
