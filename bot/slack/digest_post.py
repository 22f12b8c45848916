"""Queue the digest of the latest `[digest] schedule` slot, in each route channel; called by the scheduler.

Exactly once per channel and slot, across restarts and instances: the outbox's unique dedupe keys
`digest:<channel>:<slot>` (the first message) and `digest:<channel>:<slot>:<part>` (a channel with
more domains than one message holds gets parts 2, 3, …) are the record of it. A slot is read
DIGEST_GRACE after it. After downtime only the latest slot is posted; the slots missed before it
are never computed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Engine

from bot import schedules
from bot.config import Settings
from bot.digest import period_of, read_digest
from bot.routing import route_for
from bot.slack.digest_blocks import digest_messages
from bot.store.outbox_store import Action, OutboxRow, enqueue, queued

log = logging.getLogger(__name__)

# How long after its slot a digest is read: the bounces of the period's last minutes are still
# arriving (a DSN comes minutes after the delivery attempt), and a bot restarted at the slot scans
# the mailbox's backlog first. Both land in the store before the digest counts them.
DIGEST_GRACE = timedelta(minutes=10)


def queue_due_digests(engine: Engine, settings: Settings, now: datetime) -> int:
    """Queue the latest slot's digest (once its grace is over) for each route channel not sent it yet;
    how many messages were queued."""
    period = period_of(settings.digest, now)
    if period is None or now < period[1] + DIGEST_GRACE:
        return 0  # the latest slot waits out its grace; the one before it is not posted instead
    start, end = period
    grouped = channel_domains(settings)
    # a channel queued already costs no reading; its parts were queued with its first message
    due = {channel: domains for channel, domains in grouped.items()
           if not queued(engine, digest_key(channel, end))}
    if not due:
        return 0
    digest = read_digest(engine, [d for domains in due.values() for d in domains], start, end)
    tz = schedules.zone(settings.digest.timezone)
    rows = [OutboxRow(dedupe_key=digest_key(channel, end, part), incident_id=None, action=Action.POST_MESSAGE,
                      channel=channel, payload=message.payload())
            for channel, domains in due.items()
            for part, message in enumerate(digest_messages(digest, domains, counted_at=now, tz=tz), 1)]
    stored = enqueue(engine, rows, now)
    log.info("digest for %s: %d message(s) queued in %d channel(s)", end.isoformat(), stored, len(due))
    return stored


def channel_domains(settings: Settings) -> dict[str, list[str]]:
    """Route channel → the monitored domains whose alerts go there, in the config's order."""
    grouped: dict[str, list[str]] = {}
    for domain in settings.monitor.domains:
        grouped.setdefault(route_for(domain, settings).channel, []).append(domain)
    return grouped


def digest_key(channel: str, slot: datetime, part: int = 1) -> str:
    """Part 1 keeps the key of the digest before it had parts, so an upgrade never posts a slot twice."""
    return f"digest:{channel}:{slot.isoformat()}" + (f":{part}" if part > 1 else "")
