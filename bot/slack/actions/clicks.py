"""What every button listener needs: who clicked what, whether they may, and a quiet way to answer them."""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond

from bot.slack import blocks
from bot.slack.services import Services


def tell(respond: Respond, text: str) -> None:
    """An ephemeral note to the person who clicked; the message they clicked stays as it is."""
    respond(**blocks.notice(text).payload(), response_type="ephemeral", replace_original=False)


def clicker(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id", ""))


def action(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions") or [{}]
    return dict(actions[0])


def allowed(body: dict[str, Any], respond: Respond, services: Services, *, runs_a_check: bool = False) -> bool:
    """The access rules, and for clicks that run a reputation check the per-user rate limit too."""
    refusal = services.access.check(user=clicker(body), channel=(body.get("channel") or {}).get("id"))
    if refusal is None and runs_a_check:
        refusal = services.limiter.admit(clicker(body), f"click:{action(body).get('action_ts', id(body))}")
    if refusal:
        tell(respond, refusal.message)
    return refusal is None
