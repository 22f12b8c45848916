"""HTTP mode's server side: uvicorn (asyncio, h11) in front of the WSGI app, so a slow client costs a coroutine.

Under gunicorn's threaded worker each open connection held one of 8 threads, so 8 sockets that
sent headers and part of a body took the server down. Here the body is read asynchronously, with
a deadline and the door's size limit, before a worker thread is given the request; only complete,
bounded requests reach bot/slack/wsgi.py (which then verifies the signature).

    `Procfile` web: uvicorn --factory bot.slack.asgi:create_app …   (or `bouncecheck run`, mode http)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from a2wsgi import WSGIMiddleware

from bot.slack import door

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication

    from bot.config import Settings

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

BODY_DEADLINE_SECONDS = 10.0  # Slack sends its few KiB at once; a body still coming after this is stalled
WORKER_THREADS = 16
KEEP_ALIVE_SECONDS = 5
MAX_CONNECTIONS = 500  # beyond this uvicorn answers 503 instead of accepting more


class BoundedBodies:
    """ASGI middleware: refuse a body that is too large (413) or too slow (408), then replay it to `app`."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], *, limit: int = door.MAX_BODY,
                 deadline: float = BODY_DEADLINE_SECONDS) -> None:
        self.app = app
        self.limit = limit
        self.deadline = deadline

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return  # no lifespan or websockets here
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _plain(send, 413 if declared.isdigit() else 400, "refused")
            log.warning("refused %s %s: declared body %s bytes", scope.get("method"), scope.get("path"), declared[:20])
            return
        try:
            body = await asyncio.wait_for(self._read(receive), self.deadline)
        except TimeoutError:
            log.warning("refused %s %s: body not complete after %.0f s", scope.get("method"), scope.get("path"),
                        self.deadline)
            await _plain(send, 408, "request timeout")
            return
        if body is None:
            await _plain(send, 413, "refused")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # http.disconnect, when it comes
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _read(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def asgi_app(wsgi: WSGIApplication) -> BoundedBodies:
    """The WSGI app (door, Bolt, /healthz) behind bounded, asynchronous body reads."""
    return BoundedBodies(WSGIMiddleware(wsgi, workers=WORKER_THREADS))  # type: ignore[arg-type]


def serve(wsgi: WSGIApplication, *, host: str, port: int) -> None:
    """Run uvicorn in this thread until SIGTERM/SIGINT (its own handlers stop it gracefully).

    uvicorn raises the signal again once it has stopped; a handler of ours takes it, so the caller
    still shuts the bot down and the process exits 0, as a clean stop should.
    """
    import signal

    import uvicorn

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: None)

    config = uvicorn.Config(asgi_app(wsgi), host=host, port=port, lifespan="off", log_config=None,
                            access_log=False, timeout_keep_alive=KEEP_ALIVE_SECONDS,
                            limit_concurrency=MAX_CONNECTIONS, timeout_graceful_shutdown=20, server_header=False)
    uvicorn.Server(config).run()


def create_app(settings: Settings | None = None) -> BoundedBodies:
    """The `uvicorn --factory` entry point: load the config, start the bot, serve its app."""
    from bot.slack.wsgi import create_app as create_wsgi

    return asgi_app(create_wsgi(settings))


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1").strip()
    return None


async def _plain(send: Send, status: int, text: str) -> None:
    body = (text + "\n").encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
