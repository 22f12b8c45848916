"""HTTP mode: the WSGI application gunicorn serves (`Procfile` web: 'bot.slack.wsgi:create_app()').

    POST /slack/events   slash commands, button clicks and events, verified by signature (401 if not)
    GET  /healthz        JSON {"status", "problems"}: 200 when all is well, 503 when degraded or down

`create_app()` also starts the bot's scheduler in-process (bot.runner.start_bot).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.monitor.health import Health, Problem, down

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    from bot.config import Settings

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"


def make_wsgi(app: App, health: Callable[[], Health | bool]) -> WSGIApplication:
    """Bolt's WSGI handler plus the health check (`health` may be a plain up/down for tests)."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            found = health()
            if isinstance(found, bool):
                found = Health(status="ok") if found else down(Problem(what="bot", detail="not running"))
            body = (json.dumps(found.as_json()) + "\n").encode()
            start_response(
                "200 OK" if found.http_status == 200 else "503 Service Unavailable",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return slack(environ, start_response)

    return application


def create_app(settings: Settings | None = None) -> WSGIApplication:
    """The gunicorn entry point: load the config ($BOUNCECHECK_CONFIG, ./config.toml), start the bot."""
    from bot.config import environ, load_settings, resolve_config_path
    from bot.runner import start_bot

    settings = settings or load_settings(resolve_config_path(None, environ()))
    bot = start_bot(settings, environ(), http=True)
    if bot.app is None:
        raise RuntimeError("HTTP mode needs [slack] channel and the bot token environment variable")
    return make_wsgi(bot.app, bot.health)
