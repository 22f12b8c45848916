"""A local websocket stand-in for Slack's Socket Mode: says hello, sends one slash command, records the replies.

Used by tests/slack/test_socket_mode.py and tests/slack/test_runner.py.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from tests.slack.conftest import CHANNEL

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
