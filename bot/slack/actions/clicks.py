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


def clicker(body: dict[str, Any]) -> str:
    user = body.get("user")
    return str(user.get("id", "")) if isinstance(user, dict) else ""


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
    channel = body.get("channel")
    channel_id = channel.get("id") if isinstance(channel, dict) else None
    refusal = services.access.check(user=clicker(body), channel=channel_id)
    if refusal is None and runs_a_check:
        refusal = services.limiter.admit(clicker(body), f"click:{action(body).get('action_ts', id(body))}")
    if refusal:
        tell(respond, refusal.message)
    return refusal is None
