"""Button and menu listeners: the incident card's buttons and the answer's "Post to channel"."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.actions import incident, post
from bot.slack.services import Services


def register(app: App, services: Services) -> None:
    incident.register(app, services)
    post.register(app, services)
