"""Queue the digest of the latest `[digest] schedule` slot, one message per route channel; called by the scheduler.

Exactly once per channel and slot, across restarts and instances: the outbox's unique dedupe key
`digest:<channel>:<slot>` is the record of it. After downtime only the latest slot is posted; the
slots missed before it are never computed.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Engine

from bot import schedules
from bot.config import Settings
from bot.digest import period_of, read_digest
from bot.routing import route_for
from bot.slack.digest_blocks import digest_message
from bot.store.outbox_store import Action, OutboxRow, enqueue, parent_state

log = logging.getLogger(__name__)


def queue_due_digests(engine: Engine, settings: Settings, now: datetime) -> int:
    """Queue the latest due slot's digest for each route channel not sent it yet; how many were queued."""
    period = period_of(settings.digest, now)
    if period is None:
        return 0
    start, end = period
    grouped = channel_domains(settings)
    keys = {channel: digest_key(channel, end) for channel in grouped}
    due = {channel: domains for channel, domains in grouped.items()
           if parent_state(engine, keys[channel]) is None}  # a channel queued already costs no reading
    if not due:
        return 0
    digest = read_digest(engine, [d for domains in due.values() for d in domains], start, end)
    tz = schedules.zone(settings.digest.timezone)
    rows = [OutboxRow(dedupe_key=keys[channel], incident_id=None, action=Action.POST_MESSAGE, channel=channel,
                      payload=digest_message(digest, domains, tz=tz).payload())
            for channel, domains in due.items()]
    queued = enqueue(engine, rows, now)
    log.info("digest for %s: %d of %d channel(s) queued", end.isoformat(), queued, len(rows))
    return queued


def channel_domains(settings: Settings) -> dict[str, list[str]]:
    """Route channel → the monitored domains whose alerts go there, in the config's order."""
    grouped: dict[str, list[str]] = {}
    for domain in settings.monitor.domains:
        grouped.setdefault(route_for(domain, settings).channel, []).append(domain)
    return grouped


def digest_key(channel: str, slot: datetime) -> str:
    return f"digest:{channel}:{slot.isoformat()}"
