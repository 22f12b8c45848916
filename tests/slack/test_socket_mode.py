"""Socket Mode smoke test: the same listeners over a local websocket stand-in of Slack's Socket Mode."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from sqlalchemy import Engine

from bot.config import Settings
from bot.slack.app import build_app, build_services, web_client
from bot.slack.gateway import SlackGateway
from bot.slack.notifier import SlackNotifier
from tests.servers.slack_api import SlackStandIn
from tests.servers.socket_mode import SocketStandIn
from tests.slack.conftest import CHANNEL, TOKEN, Clock, FakeChecker


@pytest.fixture
def socket_stand_in() -> Iterator[SocketStandIn]:
    with SocketStandIn() as stand_in:
        yield stand_in


def test_slash_command_acked_over_socket_mode(
    settings: Settings, engine: Engine, slack: SlackStandIn, clock: Clock, socket_stand_in: SocketStandIn
) -> None:
    slack.socket_url = f"ws://127.0.0.1:{socket_stand_in.port}/link"
    client = web_client(settings.slack, TOKEN, timeout=5)
    notifier = SlackNotifier(engine, channel=CHANNEL, window=settings.monitor.window, clock=clock, charts=False)
    services = build_services(settings, engine, SlackGateway(client), notifier, clock=clock, check=FakeChecker())
    app = build_app(services, client, signing_secret=None)
    handler = SocketModeHandler(app, app_token="xapp-test", web_client=client)
    handler.connect()  # type: ignore[no-untyped-call]
    try:
        assert socket_stand_in.got_ack.wait(10), socket_stand_in.received
    finally:
        handler.close()  # type: ignore[no-untyped-call]
    ack = next(m for m in socket_stand_in.received if m.get("envelope_id") == "env-1")
    assert ack["payload"]["text"] == "Checking example.com…"
    assert slack.of("apps.connections.open")
