"""`bouncecheck run`: the store, the scheduler and Slack (Socket Mode or HTTP) in one process.

    start_bot()  open the store → notifier (Slack if configured, else console) → scheduler → Bolt app
    run_bot()    start_bot, then Socket Mode or uvicorn (HTTP) until SIGTERM/SIGINT, then a clean stop

Without a bot token or `[slack] channel` the bot still scans and evaluates, printing alerts.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot import metrics
from bot.config import Settings, environ, secret
from bot.errors import ConfigError
from bot.jobs import Scan, build_scheduler, utc_now
from bot.monitor.health import Health, Problem, assess, down
from bot.monitor.notify import ConsoleNotifier, Notifier
from bot.monitor.watch import Checker
from bot.routing import route_for
from bot.slack.app import bot_token, build_app, build_services, web_client
from bot.slack.delivery import Courier, OutboxDelivery
from bot.slack.digest_post import queue_due_digests
from bot.slack.gateway import SlackGateway
from bot.slack.notifier import SlackNotifier, catalogue_delist_urls
from bot.slack.oncall import current_quiet, run_oncall
from bot.store.database import open_engine
from bot.store.health_queries import health_facts
from bot.store.leases import Heartbeat

log = logging.getLogger(__name__)


@dataclass(slots=True, kw_only=True)
class Bot:
    """A running bot: what `healthz` looks at and what a clean shutdown stops."""

    settings: Settings
    engine: Engine
    scheduler: Any  # APScheduler BackgroundScheduler (untyped)
    notifier: Notifier
    client: WebClient | None = None
    app: App | None = None
    courier: Courier | None = None
    heartbeat: Heartbeat | None = None
    stopped: threading.Event = field(default_factory=threading.Event)

    def health(self) -> Health:
        """What /healthz answers: down (scheduler or store), degraded (what fails, each said), or ok."""
        if self.stopped.is_set() or not getattr(self.scheduler, "running", False):
            return down(Problem(what="scheduler", detail="the scheduler is not running"))
        try:
            with self.engine.connect() as conn:
                facts = health_facts(conn, self.settings.monitor.domains, datetime.now(UTC))
        except SQLAlchemyError as exc:
            return down(Problem(what="store", detail=f"the store does not answer: {exc.__class__.__name__}"))
        return assess(facts)

    def healthy(self) -> bool:
        """The process is up and can work (a degraded bot is still up)."""
        return self.health().status != "down"

    def stop(self) -> None:
        if self.stopped.is_set():
            return
        self.stopped.set()
        if self.courier is not None:
            self.courier.stop()
        try:
            self.scheduler.shutdown(wait=True)
        except Exception:  # an already stopped scheduler must not block the rest of the shutdown
            log.debug("scheduler shutdown", exc_info=True)
        if self.heartbeat is not None:
            self.heartbeat.stop()
        self.engine.dispose()
        log.info("bouncecheck stopped")


def slack_configured(settings: Settings, env: Mapping[str, str]) -> bool:
    return bool(settings.slack.channel and settings.slack.bot_token_env and env.get(settings.slack.bot_token_env))


def build_notifier(engine: Engine, settings: Settings, *, clock: Callable[[], datetime],
                   on_enqueue: Callable[[], None] | None = None, charts: bool | None = None) -> SlackNotifier:
    """The Slack notifier as the config wants it: routes, the ops channel, silences and maintenance windows."""
    return SlackNotifier(
        engine,
        channel=settings.slack.channel,
        ops_channel=settings.slack.ops_channel,
        window=settings.monitor.window,
        clock=clock,
        delist_urls=catalogue_delist_urls(settings.dns),
        charts=charts,
        on_enqueue=on_enqueue,
        channel_for=lambda domain: route_for(domain, settings).channel,
        quiet=lambda domain, now: current_quiet(engine, settings, domain, now),
    )


def start_bot(
    settings: Settings,
    env: Mapping[str, str],
    *,
    http: bool = False,
    clock: Callable[[], datetime] = utc_now,
    scan: Scan | None = None,
    check: Checker | None = None,
) -> Bot:
    """Open the store, build the notifier and the scheduler, start it, and build the Slack app if configured.

    `scan` and `check` replace the mailbox scan and the reputation check of the scheduled jobs (benches).
    """
    engine = open_engine(settings.storage.url)
    client = app = courier = None
    deliver: Callable[[datetime], object] | None = None
    oncall: Callable[[datetime], object] | None = None
    notifier: Notifier
    if slack_configured(settings, env):
        signing_secret = secret(env, settings.slack.signing_secret_env, "[slack] signing_secret_env") if http else None
        client = web_client(settings.slack, bot_token(settings, env))
        gateway = SlackGateway(client)
        delivery = OutboxDelivery(engine, gateway)  # one per process: it remembers a refused token

        def deliver(now: datetime) -> object:
            return delivery.run(now)

        # Delivers the moment something is queued; the scheduled job retries what failed.
        courier = Courier(lambda: deliver(clock()))
        slack_notifier = build_notifier(engine, settings, clock=clock, on_enqueue=courier.kick)

        def oncall(now: datetime) -> object:
            reminded = run_oncall(engine, settings, slack_notifier, now)
            if digests := queue_due_digests(engine, settings, now):
                courier.kick()
            return reminded + digests

        notifier = slack_notifier
        services = build_services(settings, engine, gateway, slack_notifier, clock=clock, kick=courier.kick)
        app = build_app(services, client, signing_secret=signing_secret)
    else:
        if http:
            raise ConfigError(f"HTTP mode needs [slack] channel and ${settings.slack.bot_token_env}")
        log.warning(
            "Slack is not configured ([slack] channel or $%s missing): alerts go to the console",
            settings.slack.bot_token_env,
        )
        notifier = ConsoleNotifier(sys.stdout)
    scheduler = build_scheduler(
        settings, engine, notifier, deliver=deliver, oncall=oncall, clock=clock, scan=scan, check=check, env=env
    )
    metrics.watch_store(engine, settings, clock)  # /metrics reads the store's gauges at each scrape
    if not http:
        metrics.serve(settings)  # Socket Mode has no web server of its own: [metrics] port, when set
    heartbeat = Heartbeat(engine)  # keeps this process's folder and post leases while it lives
    heartbeat.start()
    scheduler.start()
    if courier is not None:
        courier.start()
    return Bot(
        settings=settings,
        engine=engine,
        scheduler=scheduler,
        notifier=notifier,
        client=client,
        app=app,
        courier=courier,
        heartbeat=heartbeat,
    )


def run_bot(settings: Settings) -> int:
    """The `run` command: run until SIGTERM or SIGINT; 0 on a clean stop."""
    env = environ()
    slack = slack_configured(settings, env)
    # Missing secrets are a config error (exit 2) before anything starts, not a crash after.
    if slack and settings.slack.mode == "http":
        secret(env, settings.slack.signing_secret_env, "[slack] signing_secret_env")
        return _serve_http(settings)
    app_token = secret(env, settings.slack.app_token_env, "[slack] app_token_env") if slack else ""
    bot = start_bot(settings, env)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    handler = None
    try:
        if bot.app is not None:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            handler = SocketModeHandler(bot.app, app_token=app_token, web_client=bot.client)
            handler.connect()  # type: ignore[no-untyped-call]
            log.info("connected to Slack in Socket Mode")
        stop.wait()
    finally:
        if handler is not None:
            handler.close()  # type: ignore[no-untyped-call]
        bot.stop()
    return 0


def _serve_http(settings: Settings) -> int:
    """HTTP mode: uvicorn in this process (bot/slack/asgi.py); a slow client costs a coroutine, not a thread."""
    from bot.slack.asgi import serve
    from bot.slack.wsgi import make_wsgi

    bot = start_bot(settings, environ(), http=True)
    try:
        assert bot.app is not None
        serve(make_wsgi(bot.app, bot.health), host=settings.slack.http_host, port=settings.slack.http_port)
    finally:
        bot.stop()
    return 0
