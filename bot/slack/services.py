"""What the Slack listeners need, passed in once at registration: store, notifier, checker, clock, policy.

Built by bot.slack.app.build_services; listeners receive it as an argument and never import the app,
so each callback is a plain function a test can call alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from bot.config import Settings
from bot.models import CheckResult
from bot.slack.access import AccessPolicy, RateLimiter
from bot.slack.gateway import SlackGateway
from bot.slack.notifier import SlackNotifier

# (target, IPs seen in the domain's recent bounces) → the reputation check
Checker = Callable[[str, Sequence[str]], CheckResult]


@dataclass(frozen=True, slots=True, kw_only=True)
class Services:
    settings: Settings
    engine: Engine
    notifier: SlackNotifier
    gateway: SlackGateway  # every Web API call the listeners make
    check: Checker
    clock: Callable[[], datetime]
    access: AccessPolicy
    limiter: RateLimiter
    kick: Callable[[], None]  # deliver the outbox now, so a person's click shows at once
    # Slow work (DNS checks, store writes) runs here, not in Bolt's listener pool: acks must never
    # wait behind checks for a free thread.
    work: Executor
