"""Slash-command listeners."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.commands import bouncecheck
from bot.slack.services import Services


def register(app: App, services: Services) -> None:
    bouncecheck.register(app, services)
