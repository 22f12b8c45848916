"""Thin Bolt wiring: the Web API client, the App, one error handler, and the listeners by surface.

Called by bot.runner (Socket Mode, `bouncecheck run`) and bot.slack.wsgi (HTTP under uvicorn).
Every Web API call goes to `[slack] api_url` (slack.com, GovSlack, a proxy or a test stand-in), with
slack_sdk's retry handlers for connection errors, 429 (Retry-After) and 5xx.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from sqlalchemy import Engine

from bot.config import Settings, SlackSettings, secret
from bot.errors import NotifyError
from bot.models import CheckResult
from bot.reputation.check import check_target
from bot.slack import actions, commands, events
from bot.slack.access import AccessPolicy, RateLimiter, admitted_channels
from bot.slack.delivery import OutboxDelivery
from bot.slack.failures import report
from bot.slack.gateway import SlackGateway
from bot.slack.notifier import SlackNotifier
from bot.slack.services import Services

log = logging.getLogger(__name__)


def web_client(slack: SlackSettings, token: str, *, timeout: int = 30, retries: int = 2) -> WebClient:
    """The Web API client every call goes through; past `retries` the outbox backs off across runs."""
    return WebClient(
        token=token,
        base_url=slack.api_url,
        timeout=timeout,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=retries),
            RateLimitErrorRetryHandler(max_retry_count=retries),
            ServerErrorRetryHandler(max_retry_count=retries),
        ],
    )


def bot_token(settings: Settings, environ: Mapping[str, str]) -> str:
    return secret(environ, settings.slack.bot_token_env, "[slack] bot_token_env")


def build_services(
    settings: Settings,
    engine: Engine,
    gateway: SlackGateway,
    notifier: SlackNotifier,
    *,
    clock: Callable[[], datetime],
    check: Callable[[str, Collection[str]], CheckResult] | None = None,
    kick: Callable[[], None] | None = None,
) -> Services:
    def run_check(target: str, bounce_ips: Collection[str]) -> CheckResult:
        return check_target(target, settings, bounce_ips=tuple(bounce_ips))

    delivery = OutboxDelivery(engine, gateway)

    def deliver_now() -> None:
        delivery.run(clock())

    return Services(
        settings=settings,
        engine=engine,
        notifier=notifier,
        gateway=gateway,
        check=check or run_check,
        clock=clock,
        access=AccessPolicy(
            channels=admitted_channels(settings), users=settings.slack.allowed_users,
            group_members=gateway.usergroup_members
        ),
        limiter=RateLimiter(settings.slack.commands_per_minute),
        kick=kick or deliver_now,
        work=ThreadPoolExecutor(max_workers=16, thread_name_prefix="bouncecheck-work"),
    )


def build_app(
    services: Services, client: WebClient, *, signing_secret: str | None, token_verification: bool = True
) -> App:
    """The Bolt app; `signing_secret` None means Socket Mode (no HTTP requests to verify)."""
    try:
        app = App(
            client=client,
            signing_secret=signing_secret,
            token_verification_enabled=token_verification,
            request_verification_enabled=signing_secret is not None,
            process_before_response=False,
            logger=_bolt_logger(),
        )
    except (BoltError, SlackApiError, SlackClientError, OSError) as exc:
        # Token verification (auth.test) is the first call: a wrong token or an unreachable api_url.
        raise NotifyError(f"Slack at {client.base_url} did not accept the bot token: {_reason(exc)}") from exc
    app.error(on_error)
    commands.register(app, services)
    actions.register(app, services)
    events.register(app, services)
    return app


class _TokenFromEnvironment(logging.Filter):
    """Bolt warns that $SLACK_BOT_TOKEN is unused when a client is given: here that is on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("As you gave `client` as well")


def _bolt_logger() -> logging.Logger:
    logger = logging.getLogger("bot.slack.bolt")
    if not any(isinstance(f, _TokenFromEnvironment) for f in logger.filters):
        logger.addFilter(_TokenFromEnvironment())
    return logger


def _reason(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or exc.response.status_code)
    # Bolt words a refused token as "`token` is invalid (auth.test result: {'ok': False, 'error': 'invalid_auth'})".
    if found := re.search(r"'error': '([a-z_]+)'", str(exc)):
        return found.group(1)
    return str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__


def on_error(error: Exception, body: dict[str, Any], respond: Any, response: BoltResponse | None) -> None:
    """The one error handler: a short sentence to the person, the traceback to the log."""
    report(error, respond if body.get("response_url") or _has_response_urls(body) else None)
    if response is not None and response.status >= 500:
        # Slack retries a non-200 event delivery; the user already has the sentence.
        response.status, response.body = 200, ""


def _has_response_urls(body: Mapping[str, Any]) -> bool:
    return bool(body.get("response_urls"))
