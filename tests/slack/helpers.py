"""Helpers shared by the Slack tests (and the end-to-end ones): a sample incident, a posted card, what was said."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.models import Cause, Diagnosis, Incident, IncidentState
from tests.events import ZEN_LISTING
from tests.slack.conftest import Endpoint, SlackApp, store_incident

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
HOSTILE = "<!channel> <@U0BOSS> <https://evil.example|click> & <!here>"

INCIDENT = Incident(
    id=7,
    domain="example.com",
    state=IncidentState.OPEN,
    cause=Cause.BLACKLISTED,
    opened_at=NOW - timedelta(hours=1),
    updated_at=NOW,
    bounces_in_window=120,
    threshold=50,
    peak=140,
    listings=(ZEN_LISTING,),
    diagnosis=Diagnosis(
        cause=Cause.BLACKLISTED,
        evidence=(f"58 bounces cite zen.spamhaus.org {HOSTILE}",),
        next_steps=("Ask Spamhaus to delist 192.0.2.10",),
    ),
    top_reasons=((HOSTILE, 80), ("userunknown", 40)),
)


def posted_card(app: SlackApp) -> Incident:
    """An open incident whose card is in the channel (through the outbox, as in production)."""
    incident = store_incident(app.engine, card=None)
    app.services.notifier.notify(incident, [])
    app.services.kick()
    app.slack.wait_for(lambda: app.slack.of("chat.postMessage"))
    return incident


def thread(app: Endpoint) -> list[str]:
    return [str(c.body["text"]) for c in app.slack.of("chat.postMessage") if c.body.get("thread_ts")]


def notes(app: SlackApp) -> list[str]:
    return [str(c.body.get("text")) for c in app.slack.of("hook")]
