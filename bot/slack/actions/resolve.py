"""The Resolve dialog's listeners: the card's Resolve button opens it, its submission resolves the incident.

The click is acked at once and the dialog opened right after, in the listener itself: its trigger_id
lasts 3 s, too short to wait behind checks in the work pool. A submission is decided before its ack,
because the ack is the dialog's answer: an error under the choice for a person not allowed, a note when
nothing changed (already resolved), or closing it. Like the buttons, a resolve is idempotent and race-safe
(bot.slack.incident_ops); the thread reply and the card update go through the outbox.
"""

from __future__ import annotations

import http.client
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import SQLAlchemyError

from bot.errors import BounceCheckError
from bot.models import IncidentState
from bot.slack import blocks, incident_ops, modals, queries
from bot.slack.actions.clicks import GONE, NO_LONGER_VALID, clicked_incident, clicked_message, clicker, tell
from bot.slack.failures import explain, report, reported
from bot.slack.gateway import classify
from bot.slack.services import Services


def register(app: App, services: Services) -> None:
    def on_click(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        open_dialog(body, respond, client, services)

    def on_submit(ack: Ack, body: dict[str, Any]) -> None:
        try:
            answer = submit(body, services)
        except (BounceCheckError, SQLAlchemyError) as exc:  # the dialog stays open with the sentence
            report(exc, None)
            answer = modals.refusal(explain(exc))
        ack(**answer)
        if not answer:  # the dialog closed on a resolve: deliver its card update and reply now
            services.work.submit(reported(services.kick))

    app.action(blocks.RESOLVE)(on_click)
    app.view(modals.RESOLVE_DIALOG)(on_submit)


def open_dialog(body: dict[str, Any], respond: Respond, client: WebClient, services: Services) -> None:
    """Open the Resolve dialog for the clicked card, unless the click cannot resolve anything."""
    incident_id = clicked_incident(body, respond, services)
    if incident_id is None:
        return
    incident = queries.load_incident(services.engine, incident_id)
    if incident is None:
        tell(respond, GONE)
        return
    if incident.state is IncidentState.RESOLVED:  # an older card, or a click racing another resolve
        tell(respond, incident_ops.unchanged_note("resolve", incident))
        return
    channel, ts = clicked_message(body)
    view = modals.resolve_dialog(incident, channel=channel, ts=ts)
    try:
        client.views_open(trigger_id=str(body.get("trigger_id", "")), view=view)
    except (SlackApiError, SlackClientError, OSError, http.client.HTTPException) as exc:
        raise classify(exc) from exc  # to the one error handler: the person gets a sentence


def submit(body: dict[str, Any], services: Services) -> dict[str, Any]:
    """Resolve as the submitted dialog says; the arguments of the submission's ack (none: close it)."""
    view = body.get("view")
    resolution = modals.read_resolution(view) if isinstance(view, dict) else None
    if resolution is None:
        return modals.refusal(NO_LONGER_VALID)
    # A submission has no channel of its own: the rules apply to the card's, where the click was.
    refusal = services.access.check(user=clicker(body), channel=resolution.of.channel or None)
    if refusal is not None:
        return modals.refusal(refusal.message)
    incident_id = resolution.of.incident_id
    transition = incident_ops.resolve_saying(resolution.outcome, resolution.note)
    outcome = incident_ops.act(services.engine, incident_id, transition, by=clicker(body), now=services.clock())
    if outcome is None:
        return modals.answer(incident_id, GONE)
    if not outcome.changed:
        return modals.answer(incident_id, incident_ops.unchanged_note("resolve", outcome.after))
    # Queued before the dialog closes: a closed dialog means the card and the thread will say so.
    services.notifier.notify(outcome.after, outcome.events)
    return {}
