"""Socket Mode smoke test: the same listeners over a local websocket stand-in of Slack's Socket Mode."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from sqlalchemy import Engine
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from bot.config import Settings
from bot.slack.app import build_app, build_services, web_client
from bot.slack.gateway import SlackGateway
from bot.slack.notifier import SlackNotifier
from tests.servers.slack_api import SlackStandIn
from tests.slack.conftest import CHANNEL, TOKEN, Clock, FakeChecker

ENVELOPE = {
    "envelope_id": "env-1",
    "type": "slash_commands",
    "accepts_response_payload": True,
    "payload": {
        "command": "/bouncecheck",
        "text": "example.com",
        "user_id": "U0ALICE",
        "channel_id": CHANNEL,
        "team_id": "T0001",
        "trigger_id": "trig-1",
        "response_url": "",
    },
}


class SocketStandIn:
    """Says hello, sends one slash-command envelope, records what the bot sends back."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.got_ack = threading.Event()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Future[None] | None = None
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._main(),), daemon=True)

    async def _handler(self, connection: ServerConnection) -> None:
        try:
            await connection.send(json.dumps({"type": "hello", "num_connections": 1}))
            await connection.send(json.dumps(ENVELOPE))
            async for raw in connection:
                message = json.loads(raw)
                self.received.append(message)
                if message.get("envelope_id") == "env-1":
                    self.got_ack.set()
        except ConnectionClosed:
            pass  # the SDK drops the connection without a close frame on shutdown

    async def _main(self) -> None:
        self._stop = self._loop.create_future()
        async with serve(self._handler, "127.0.0.1", 0) as server:
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await self._stop

    def __enter__(self) -> SocketStandIn:
        self._thread.start()
        self._ready.wait(5)
        return self

    def __exit__(self, *_exc: object) -> None:
        stop = self._stop
        if stop is not None:
            self._loop.call_soon_threadsafe(_finish, stop)
        self._thread.join(5)
        self._loop.close()


def _finish(stop: asyncio.Future[None]) -> None:
    if not stop.done():
        stop.set_result(None)


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
