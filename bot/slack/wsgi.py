"""HTTP mode: the WSGI application (door, Bolt, /healthz) that bot/slack/asgi.py serves under uvicorn.

    POST /slack/events   slash commands, button clicks and events, verified by signature (401 if not)
    GET  /healthz        JSON {"status", "problems"}: 200 when all is well, 503 when degraded or down
    GET  /metrics        Prometheus text format (bot/metrics.py)

`create_app()` also starts the bot's scheduler in-process (bot.runner.start_bot).
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.monitor.health import Health, Problem, down
from bot.slack import door

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    from bot.config import Settings

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"


def make_wsgi(app: App, health: Callable[[], Health | bool], *,
              clock: Callable[[], float] = time.time) -> WSGIApplication:
    """Bolt's WSGI handler behind the door (bot/slack/door.py), plus the health check.

    `health` may be a plain up/down for tests. The signing secret is the one Bolt was built with.
    """
    slack = SlackRequestHandler(app, path=EVENTS_PATH)
    secret = app._signing_secret  # Bolt keeps it, and no public accessor; one secret, one place

    def events(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return _answer(start_response, 405, "method not allowed")
        body = door.read_body(environ)
        if isinstance(body, door.Refusal):
            return _refuse(start_response, body, environ)
        refusal = door.verify(door.headers_of(environ), body, secret, clock()) or door.well_formed(
            str(environ.get("CONTENT_TYPE") or ""), body)
        if refusal is not None:
            return _refuse(start_response, refusal, environ)
        # Bolt reads the body again: hand it the bytes already read and checked.
        inner = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
        return slack(inner, start_response)

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
        if environ.get("PATH_INFO") == METRICS_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            from bot import metrics

            body = metrics.exposition()
            start_response("200 OK", [("Content-Type", metrics.CONTENT_TYPE), ("Content-Length", str(len(body)))])
            return [body]
        if environ.get("PATH_INFO") == EVENTS_PATH:
            return events(environ, start_response)
        return _answer(start_response, 404, "not found")

    return application


_REASONS = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
            411: "Length Required", 413: "Content Too Large"}


def _refuse(start_response: StartResponse, refusal: door.Refusal, environ: WSGIEnvironment) -> Iterable[bytes]:
    log.warning("refused %s %s from %s: %d %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"),
                environ.get("REMOTE_ADDR", "?"), refusal.status, refusal.reason)
    return _answer(start_response, refusal.status, _REASONS.get(refusal.status, "refused").lower())


def _answer(start_response: StartResponse, status: int, text: str) -> Iterable[bytes]:
    body = (text + "\n").encode()
    start_response(f"{status} {_REASONS.get(status, 'Error')}", [
        ("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def create_app(settings: Settings | None = None) -> WSGIApplication:
    """The WSGI app of `Procfile` web (through bot.slack.asgi.create_app).

    Loads the config ($BOUNCECHECK_CONFIG, ./config.toml) and starts the bot.
    """
    from bot import logs
    from bot.config import environ, load_settings, resolve_config_path
    from bot.runner import start_bot

    settings = settings or load_settings(resolve_config_path(None, environ()))
    logs.setup(settings.logging)  # the server started us, not the CLI: nobody else set logging up
    bot = start_bot(settings, environ(), http=True)
    if bot.app is None:
        raise RuntimeError("HTTP mode needs [slack] channel and the bot token environment variable")
    return make_wsgi(bot.app, bot.health)
