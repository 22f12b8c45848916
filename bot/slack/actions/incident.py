"""The incident card's buttons: Acknowledge, Recheck, Snooze (1 h / 4 h / 24 h); Resolve opens its dialog
(bot/slack/actions/resolve.py).

Each click is acked at once; the lazy listener hands the work to the work pool. Every action is idempotent and safe
against races (bot.slack.incident_ops); a click that changes nothing gets a kind ephemeral note.
Changes reach the card and the thread through the outbox, which is then delivered at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.config import parse_duration
from bot.slack import blocks, incident_ops, queries
from bot.slack.actions import resolve
from bot.slack.actions.clicks import (
    GONE,
    NO_LONGER_VALID,
    action,
    allowed,
    clicked_at,
    clicked_incident,
    clicker,
    incident_id_in,
    tell,
)
from bot.slack.failures import reported
from bot.slack.services import Services

Handler = Callable[[dict[str, Any], Respond, Services], None]

# A button whose click is one transition of the state machine: its action id → (verb, transition).
# A new such button is its entry here, its element in blocks.incident_actions and its transition.
BUTTONS: dict[str, tuple[str, incident_ops.Transition]] = {
    blocks.ACK: ("acknowledge", incident_ops.acknowledge),
}


def register(app: App, services: Services) -> None:
    handlers: dict[str, Handler] = {
        **{action_id: _button(verb, transition) for action_id, (verb, transition) in BUTTONS.items()},
        blocks.RECHECK: recheck,
        blocks.SNOOZE: snooze,
    }
    for action_id, handler in handlers.items():
        app.action(action_id)(ack=_ack, lazy=[_lazy(handler, services)])
    resolve.register(app, services)


def _ack(ack: Ack) -> None:
    ack()


def _lazy(handler: Handler, services: Services) -> Callable[..., None]:
    def work(body: dict[str, Any], respond: Respond) -> None:
        handler(body, respond, services)

    def run(body: dict[str, Any], respond: Respond) -> None:
        services.work.submit(reported(work), body=body, respond=respond)

    run.__name__ = f"lazy_{handler.__name__}"  # Bolt tells lazy listeners apart by name
    return run


SNOOZE_SPANS = {code: parse_duration(code) for code, _ in blocks.SNOOZE_CHOICES}
CLICK_SKEW = timedelta(minutes=5)  # a click's own time is trusted this far from ours


def _outcome(verb: str, outcome: incident_ops.Outcome | None, respond: Respond, services: Services) -> None:
    if outcome is None:
        tell(respond, GONE)
    elif not outcome.changed:
        tell(respond, incident_ops.unchanged_note(verb, outcome.after))
    else:
        services.notifier.notify(outcome.after, outcome.events)
        services.kick()


def _button(verb: str, transition: incident_ops.Transition) -> Handler:
    def click(body: dict[str, Any], respond: Respond, services: Services) -> None:
        incident_id = clicked_incident(body, respond, services)
        if incident_id is None:
            return
        outcome = incident_ops.act(services.engine, incident_id, transition, by=clicker(body), now=services.clock())
        _outcome(verb, outcome, respond, services)

    click.__name__ = verb  # Bolt tells lazy listeners apart by name
    return click


def snooze(body: dict[str, Any], respond: Respond, services: Services) -> None:
    option = action(body).get("selected_option")
    value = str(option.get("value", "")) if isinstance(option, dict) else ""
    incident_id, span = incident_id_in(value), SNOOZE_SPANS.get(value.partition(":")[2])
    if incident_id is None or span is None:
        tell(respond, NO_LONGER_VALID)
        return
    if not allowed(body, respond, services):
        return
    now = services.clock()
    # The snooze runs from the click's own time, so a replay of the same click asks for the same
    # `until` and changes nothing (and posts nothing) the second time.
    clicked = clicked_at(body)
    start = now
    if clicked is not None:
        at = datetime.fromtimestamp(clicked, tz=now.tzinfo)
        start = at if abs(at - now) <= CLICK_SKEW else now
    until = (start + span).replace(microsecond=0)
    outcome = incident_ops.act(services.engine, incident_id, incident_ops.snooze_until(until), by=clicker(body),
                               now=now)
    _outcome("snooze", outcome, respond, services)


def recheck(body: dict[str, Any], respond: Respond, services: Services) -> None:
    incident_id = clicked_incident(body, respond, services, runs_a_check=True)
    if incident_id is None:
        return
    recheck_incident(incident_id, respond, services, key=f"recheck:{action(body).get('action_ts', '')}")


def recheck_incident(incident_id: int, respond: Respond | None, services: Services, *, key: str) -> None:
    """Re-run the reputation check of the incident's domain and answer in its thread (buttons, mentions)."""
    incident = queries.load_incident(services.engine, incident_id)
    if incident is None:
        if respond:
            tell(respond, GONE)
        return
    now = services.clock()
    result = services.check(incident.domain, queries.sending_ips(services.engine, incident.domain, now))
    services.notifier.post_in_thread(incident, blocks.recheck_answer(incident, result), key=key)
    services.kick()
