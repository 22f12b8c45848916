"""Button and menu listeners: the incident card's buttons and the answer's "Post to channel"."""

from __future__ import annotations

import re

from slack_bolt import Ack, App

from bot.slack.actions import incident, post
from bot.slack.services import Services


def register(app: App, services: Services) -> None:
    incident.register(app, services)
    post.register(app, services)
    # Last, as Bolt runs the first listener that matches: a click on a button of an older card, or a
    # tampered one, is acknowledged rather than answered 404.
    app.action(re.compile(r".*"))(_acknowledge_only)


def _acknowledge_only(ack: Ack) -> None:
    ack()
