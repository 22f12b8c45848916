"""The on-call job, every minute: reminders of unacknowledged incidents, the cards that waited for a
silence or a maintenance window to end, and the cards that still say one is on after it ended.
Digests are queued by bot.slack.digest_post.

Everything goes through the outbox with keys that name the step, so a restart or a second instance
posts nothing twice.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from sqlalchemy import Engine

from bot.config import Settings
from bot.monitor.escalation import due_step
from bot.monitor.quiet import Quiet, quiet_for
from bot.routing import route_for
from bot.slack.notifier import SlackNotifier
from bot.slack.oncall_blocks import QUIET_MARKER, reminder
from bot.store import outbox_store
from bot.store.incidents_store import unresolved
from bot.store.silences_store import running
from bot.store.slack_messages import posted_at

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
        with engine.connect() as conn:
            posted = posted_at(conn, incident.id)
        if posted is None:
            if not outbox_store.queued(engine, f"incident:{incident.id}:card"):
                log.info("incident %d: the quiet is over, its card is posted now", incident.id)
                notifier.notify(incident, [])
                acted += 1
            continue
        if shows_quiet(engine, incident.id):
            log.info("incident %d: the quiet is over, its card says so now", incident.id)
            notifier.refresh_card(incident)
            acted += 1
        route = route_for(incident.domain, settings)
        # counted from the card, not the opening: a card held back by a quiet is not late the minute it shows
        step = due_step(incident, route, now, since=max(incident.opened_at, posted))
        if step is not None:
            notifier.remind(incident, step, reminder(incident, mention=route.mention, now=now))
            acted += 1
    return acted


def shows_quiet(engine: Engine, incident_id: int) -> bool:
    """Whether the incident's newest card still says its domain is quiet (oncall_blocks.quiet_line)."""
    card = outbox_store.latest_card(engine, incident_id)
    return card is not None and QUIET_MARKER in json.dumps(card, ensure_ascii=False)
