"""The on-call job, every minute: reminders of unacknowledged incidents, and the cards that waited
for a silence or a maintenance window to end. Digests are queued by bot.slack.digest_post.

Everything goes through the outbox with keys that name the step, so a restart or a second instance
posts nothing twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Engine

from bot.config import Settings
from bot.monitor.escalation import due_step
from bot.monitor.quiet import Quiet, quiet_for
from bot.routing import route_for
from bot.slack.notifier import SlackNotifier
from bot.slack.oncall_blocks import reminder
from bot.slack.queries import card_location
from bot.store import outbox_store
from bot.store.incidents_store import unresolved
from bot.store.silences_store import running

log = logging.getLogger(__name__)


def current_quiet(engine: Engine, settings: Settings, domain: str, now: datetime) -> Quiet | None:
    """The domain's silence or maintenance window in force at `now`, if any."""
    with engine.connect() as conn:
        silences = running(conn, now, domain)
    return quiet_for(domain, now, silences, settings.maintenance)


def run_oncall(engine: Engine, settings: Settings, notifier: SlackNotifier, now: datetime) -> int:
    """Queue what is due now; how many incidents got something."""
    with engine.connect() as conn:
        incidents = unresolved(conn)
        silences = running(conn, now)
    acted = 0
    for incident in incidents:
        if quiet_for(incident.domain, now, silences, settings.maintenance):
            continue
        if card_location(engine, incident.id) is None:
            if not outbox_store.queued(engine, f"incident:{incident.id}:card"):
                log.info("incident %d: the quiet is over, its card is posted now", incident.id)
                notifier.notify(incident, [])
                acted += 1
            continue
        route = route_for(incident.domain, settings)
        step = due_step(incident, route, now)
        if step is not None:
            notifier.remind(incident, step, reminder(incident, mention=route.mention, now=now))
            acted += 1
    return acted
