"""The "Post to channel" button of a /bouncecheck answer: re-run the check and share it in the channel."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.errors import UsageError
from bot.reputation.check import parse_target
from bot.slack import blocks
from bot.slack.actions.clicks import action, allowed, clicker
from bot.slack.commands.bouncecheck import render_check
from bot.slack.failures import reported
from bot.slack.services import Services


def register(app: App, services: Services) -> None:
    def ack_post(ack: Ack) -> None:
        ack()

    def post_to_channel(body: dict[str, Any], respond: Respond) -> None:
        services.work.submit(reported(share), body=body, respond=respond, services=services)

    app.action(blocks.POST_TO_CHANNEL)(ack=ack_post, lazy=[post_to_channel])


def share(body: dict[str, Any], respond: Respond, services: Services) -> None:
    if not allowed(body, respond, services, runs_a_check=True):
        return
    user = clicker(body)
    value = str(action(body).get("value", ""))
    try:
        target = parse_target(value)
    except UsageError as exc:
        respond(**blocks.usage(str(exc)).payload(), response_type="ephemeral", replace_original=False)
        return
    answer = render_check(target, services, with_button=False)
    shared = blocks.Message(
        text=answer.text, blocks=blocks.fit((*answer.blocks, blocks.context(f"Shared by {blocks.user(user)}")))
    )
    respond(**shared.payload(), response_type="in_channel", replace_original=False)
