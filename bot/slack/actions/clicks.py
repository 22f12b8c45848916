"""What every button listener needs: who clicked what, whether they may, and a quiet way to answer them."""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond

from bot.slack import blocks
from bot.slack.services import Services


def tell(respond: Respond, text: str) -> None:
    """An ephemeral note to the person who clicked; the message they clicked stays as it is."""
    respond(**blocks.notice(text).payload(), response_type="ephemeral", replace_original=False)


NO_LONGER_VALID = "That button is no longer valid: open the incident's latest card and try again."
GONE = "That incident no longer exists (it may have been pruned)."
MAX_ID_DIGITS = 18  # an id past this is tampered with: SQLite's integers stop at 2**63


def incident_id_in(value: str) -> int | None:
    """The incident a button's value ("7", "7:4h") names; None for a tampered one."""
    head = value.split(":", 1)[0]
    return int(head) if head.isascii() and head.isdigit() and len(head) <= MAX_ID_DIGITS else None


def clicker(body: dict[str, Any]) -> str:
    user = body.get("user")
    return str(user.get("id", "")) if isinstance(user, dict) else ""


def clicked_message(body: dict[str, Any]) -> tuple[str, str]:
    """(channel, ts) of the message whose button was clicked; "" for what the payload does not say."""
    container, message = body.get("container"), body.get("message")
    container = container if isinstance(container, dict) else {}
    ts = container.get("message_ts") or (message.get("ts") if isinstance(message, dict) else None)
    return str(_channel(body) or container.get("channel_id") or ""), str(ts or "")


def _channel(body: dict[str, Any]) -> str | None:
    channel = body.get("channel")
    return str(channel.get("id")) if isinstance(channel, dict) and channel.get("id") else None


def action(body: dict[str, Any]) -> dict[str, Any]:
    """The clicked action; {} for a payload whose `actions` is not a list of objects."""
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions else {}
    return dict(first) if isinstance(first, dict) else {}


def clicked_at(body: dict[str, Any]) -> float | None:
    """When Slack says the click happened (its `action_ts`): the same for every replay of one click."""
    stamp = str(action(body).get("action_ts", ""))
    try:
        return float(stamp) if stamp.replace(".", "", 1).isdigit() and stamp.isascii() else None
    except ValueError:
        return None


def allowed(body: dict[str, Any], respond: Respond, services: Services, *, runs_a_check: bool = False) -> bool:
    """The access rules, and for clicks that run a reputation check the per-user rate limit too."""
    refusal = services.access.check(user=clicker(body), channel=_channel(body))
    if refusal is None and runs_a_check:
        refusal = services.limiter.admit(clicker(body), f"click:{action(body).get('action_ts', id(body))}")
    if refusal:
        tell(respond, refusal.message)
    return refusal is None


def clicked_incident(body: dict[str, Any], respond: Respond, services: Services, *,
                     runs_a_check: bool = False) -> int | None:
    """The incident a button's value names, when it is valid and the person may act on it; else None
    (they have been told why)."""
    found = incident_id_in(str(action(body).get("value", "")))
    if found is None:
        tell(respond, NO_LONGER_VALID)
        return None
    return found if allowed(body, respond, services, runs_a_check=runs_a_check) else None
