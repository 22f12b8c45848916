"""`@bouncecheck status | recheck | resolve | help` in an incident's thread acts on that incident.

Bolt acks events before the listener runs; replies go into the thread through the outbox.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import App, Say

from bot.slack import blocks, incident_ops, queries
from bot.slack.actions.incident import recheck_incident
from bot.slack.failures import reported
from bot.slack.services import Services

_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
HELP = (
    "Mention me in an incident's thread with `status` (where it stands), `recheck` (re-run the blocklist "
    "check), `resolve` (close it) or `help`. To check any domain or IP, use `/bouncecheck`."
)


def register(app: App, services: Services) -> None:
    def on_mention(event: dict[str, Any], say: Say) -> None:
        services.work.submit(reported(handle), event=event, say=say, services=services)

    app.event("app_mention")(on_mention)


def command_word(text: str) -> str:
    words = _MENTION.sub(" ", text or "").strip().lower().split()
    return words[0].strip(".!?,:") if words else "help"


def handle(event: dict[str, Any], say: Say, services: Services) -> None:
    word = command_word(str(event.get("text", "")))
    channel, thread_ts = str(event.get("channel", "")), event.get("thread_ts")
    if not channel:
        return  # nowhere to answer
    reply_ts = str(thread_ts or event.get("ts", ""))
    incident = queries.incident_by_thread(services.engine, channel, str(thread_ts)) if thread_ts else None
    if incident is None or word not in {"status", "recheck", "resolve"}:
        note = HELP if incident or word == "help" else f"This is not an incident thread. {HELP}"
        say(text=note, thread_ts=reply_ts)
        return
    user = str(event.get("user", ""))
    refusal = services.access.check(user=user, channel=channel)
    key = f"mention:{event.get('ts', '')}"
    if refusal:
        services.notifier.post_in_thread(incident, blocks.notice(refusal.message), key=key)
    elif word == "status":
        url = queries.incident_link(services.engine, incident, services.settings.slack.api_url).url
        services.notifier.post_in_thread(
            incident, blocks.status_answer(incident, now=services.clock(), url=url), key=key
        )
    elif word == "recheck":
        recheck_incident(incident.id, None, services, key=key)
        return
    else:
        outcome = incident_ops.act(services.engine, incident.id, incident_ops.resolve, by=user, now=services.clock())
        if outcome is not None and outcome.changed:
            services.notifier.notify(outcome.after, outcome.events)
        else:
            services.notifier.post_in_thread(
                incident,
                blocks.notice(incident_ops.unchanged_note("resolve", outcome.after if outcome else incident)),
                key=key,
            )
    services.kick()
