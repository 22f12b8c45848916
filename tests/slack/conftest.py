"""Fixtures for the Slack tests: the Web API stand-in, a store, the app served over real HTTP on loopback."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from sqlalchemy import Engine

from bot.config import Settings, settings_from_mapping
from bot.models import (
    UNSAVED_ID,
    Cause,
    CheckResult,
    Diagnosis,
    Incident,
    IncidentState,
    IPCheck,
    Listing,
    ListingStatus,
    Posture,
    Verdict,
    ZoneResult,
)
from bot.runner import build_notifier
from bot.slack.app import build_app, build_services, web_client
from bot.slack.gateway import SlackGateway
from bot.slack.services import Services
from bot.slack.wsgi import make_wsgi
from bot.store.database import open_engine
from bot.store.incidents_store import save, transact
from bot.store.slack_messages import remember
from tests.servers.slack_api import SlackStandIn

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"
CHANNEL = "C0ALERTS"
T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


class Clock:
    """A test clock that, like a real one, never returns the same instant twice (1 µs per reading)."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            self.now += timedelta(microseconds=1)
            return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def listed_result(target: str = "example.com") -> CheckResult:
    return CheckResult(
        target=target,
        target_type="domain",
        checked_at=T0,
        verdict=Verdict.LISTED,
        ips=(
            IPCheck(
                ip="192.0.2.10",
                sources=("spf",),
                results=(
                    ZoneResult(
                        zone="zen.spamhaus.org",
                        list="Spamhaus ZEN",
                        status=ListingStatus.LISTED,
                        codes=("127.0.0.2",),
                        meaning="SBL",
                        delist_url="https://check.spamhaus.org/",
                    ),
                    ZoneResult(zone="bl.spamcop.net", list="SpamCop", status=ListingStatus.NOT_LISTED),
                ),
            ),
        ),
        posture=Posture(
            spf_record="v=spf1 ip4:192.0.2.10 -all",
            dmarc_policy="none",
            advice=("DMARC p=none lets anyone use example.com in From:",),
        ),
    )


@dataclass
class FakeChecker:
    delay: float = 0.0
    calls: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def __call__(self, target: str, bounce_ips: Any) -> CheckResult:
        self.calls.append((target, tuple(bounce_ips)))
        time.sleep(self.delay)
        return listed_result(target)


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as stand_in:
        yield stand_in


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    yield engine
    engine.dispose()


def make_settings(slack: SlackStandIn, **slack_keys: Any) -> Settings:
    return settings_from_mapping(
        {
            "monitor": {"domains": ["example.com"], "alert_bounces": 50, "window": "1h"},
            "slack": {"api_url": slack.api_url, "channel": CHANNEL, **slack_keys},
        }
    )


@pytest.fixture
def settings(slack: SlackStandIn) -> Settings:
    return make_settings(slack)


@dataclass
class Endpoint:
    """The app's /slack/events on a loopback port, spoken to as Slack would: signed requests."""

    url: str
    slack: SlackStandIn

    def post(
        self,
        body: bytes,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        timestamp: int | None = None,
        secret: str = SECRET,
    ) -> tuple[int, bytes, float]:
        return signed_post(
            self.url + "/slack/events", body, content_type=content_type, timestamp=timestamp, secret=secret
        )

    def command(
        self, text: str, *, user: str = "U0ALICE", channel: str = CHANNEL, trigger: str | None = None
    ) -> tuple[int, bytes, float]:
        form = {
            "command": "/bouncecheck",
            "text": text,
            "user_id": user,
            "channel_id": channel,
            "team_id": "T0001",
            "response_url": self.slack.hook_url("cmd"),
            "trigger_id": trigger or f"trig.{time.monotonic_ns()}",
            "token": "legacy",
        }
        return self.post(urllib.parse.urlencode(form).encode())

    def click(
        self, action_id: str, value: str, *, user: str = "U0ALICE", channel: str = CHANNEL, select: bool = False,
        action_ts: str | None = None,
    ) -> tuple[int, bytes, float]:
        """A signed click; the same `action_ts` twice is what a replay of one click looks like."""
        stamp = action_ts or f"{time.time():.6f}"
        action: dict[str, Any] = {"action_id": action_id, "block_id": "b", "action_ts": stamp}
        if select:
            action.update(type="static_select", selected_option={"value": value})
        else:
            action.update(type="button", value=value)
        payload = {
            "type": "block_actions",
            "user": {"id": user},
            "team": {"id": "T0001"},
            "channel": {"id": channel},
            "container": {"type": "message"},
            "trigger_id": "t",
            "response_url": self.slack.hook_url("action"),
            "actions": [action],
            "api_app_id": "A1",
            "token": "legacy",
        }
        return self.post(urllib.parse.urlencode({"payload": json.dumps(payload)}).encode())

    def event(self, event: dict[str, Any]) -> tuple[int, bytes, float]:
        body = {
            "type": "event_callback",
            "team_id": "T0001",
            "api_app_id": "A1",
            "event": event,
            "event_id": f"Ev{time.monotonic_ns()}",
            "event_time": int(time.time()),
            "token": "legacy",
        }
        return self.post(json.dumps(body).encode(), content_type="application/json")


@dataclass
class SlackApp(Endpoint):
    """The served app with what it was built from."""

    services: Services
    checker: FakeChecker
    engine: Engine
    clock: Clock


def signed_post(
    url: str, body: bytes, *, content_type: str, timestamp: int | None = None, secret: str = SECRET
) -> tuple[int, bytes, float]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = "v0=" + hmac.new(secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature},
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), time.perf_counter() - started
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), time.perf_counter() - started


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ThreadingWSGIServer(WSGIServer):
    daemon_threads = True

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(target=self._serve, args=(request, client_address), daemon=True)
        thread.start()

    def _serve(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        finally:
            self.shutdown_request(request)


def serve(wsgi: Any) -> tuple[str, Callable[[], None]]:
    server = make_server("127.0.0.1", 0, wsgi, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
    thread = threading.Thread(target=lambda: server.serve_forever(poll_interval=0.05), daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return f"http://127.0.0.1:{server.server_port}", stop


def build(
    settings: Settings, engine: Engine, slack: SlackStandIn, clock: Clock, checker: FakeChecker | None = None
) -> tuple[Services, Any]:
    client = web_client(settings.slack, TOKEN, timeout=5)
    notifier = build_notifier(engine, settings, clock=clock, charts=False)
    checker = checker or FakeChecker()
    services = build_services(settings, engine, SlackGateway(client), notifier, clock=clock, check=checker)
    app = build_app(services, client, signing_secret=SECRET)
    return services, app


@pytest.fixture
def slack_app(settings: Settings, engine: Engine, slack: SlackStandIn, clock: Clock) -> Iterator[SlackApp]:
    checker = FakeChecker()
    services, app = build(settings, engine, slack, clock, checker)
    url, stop = serve(make_wsgi(app, lambda: True))
    yield SlackApp(url=url, services=services, checker=checker, slack=slack, engine=engine, clock=clock)
    stop()


def store_incident(
    engine: Engine,
    *,
    domain: str = "example.com",
    state: IncidentState = IncidentState.OPEN,
    card: tuple[str, str] | None = (CHANNEL, "1700000000.000100"),
    now: datetime = T0,
    **fields: Any,
) -> Incident:
    incident = Incident(
        id=UNSAVED_ID,
        domain=domain,
        state=state,
        cause=fields.pop("cause", Cause.BLACKLISTED),
        opened_at=now - timedelta(minutes=30),
        updated_at=now,
        bounces_in_window=120,
        threshold=50,
        peak=140,
        listings=(Listing("192.0.2.10", "zen.spamhaus.org"),),
        diagnosis=Diagnosis(
            cause=Cause.BLACKLISTED,
            evidence=("58 bounces cite zen.spamhaus.org",),
            next_steps=("Ask Spamhaus to delist 192.0.2.10",),
        ),
        top_reasons=(("blocked", 80), ("userunknown", 40)),
        **fields,
    )

    def work(conn: Any) -> Incident:
        stored, _ = save(conn, None, incident, ())
        if card:
            remember(conn, stored.id, channel=card[0], ts=card[1], at=now)
        return stored

    return transact(engine, work)
