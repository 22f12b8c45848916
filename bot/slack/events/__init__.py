"""Event listeners: mentions in incident threads, the App Home tab."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.events import home, mention
from bot.slack.services import Services


def register(app: App, services: Services) -> None:
    mention.register(app, services)
    home.register(app, services)
