"""A local stand-in for the Slack Web API and response_url webhooks, recording every call.

Serves http://127.0.0.1:<ephemeral>/api/<method> like slack.com/api/: chat.postMessage/update/
postEphemeral/getPermalink (links on WORKSPACE_URL, not the API's host), conversations.history/
replies (from what was posted, with metadata), the three files_upload_v2 steps, views.publish,
views.open (the modals opened, in `views`), auth.test, apps.connections.open (Socket Mode); and
/hooks/<id> for response_url posts.
`fail(method, status, retry_after=...)` makes the next calls of a method answer 429 or 5xx, until
`recover(method)`. Used by tests/slack/* and bench/slack_*.py.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WORKSPACE_URL = "https://bouncecheck-test.slack.com"  # what a workspace's permalinks start with
JSON_FIELDS = ("blocks", "attachments", "metadata", "view", "files", "channel_ids")


@dataclass(frozen=True, slots=True)
class Call:
    method: str  # "chat.postMessage", "upload", "hook"
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    status: int
    at: float = field(default_factory=time.monotonic)
    ok: bool = True  # False when the stand-in answered a failure (also `{"ok": false}` with a 200)


@dataclass(slots=True)
class _Failure:
    status: int
    retry_after: int | None
    count: int
    error: str
    accepted: bool = False  # carried out (the message exists), then answered with the failure
    dropped: bool = False  # carried out, then the connection closed without an answer


class SlackStandIn:
    """Start with `with SlackStandIn() as slack:`; `slack.api_url` goes into `[slack] api_url`."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.messages: dict[str, list[dict[str, Any]]] = {}  # channel → posted messages (live state)
        self.views: dict[str, dict[str, Any]] = {}  # view id → a modal opened with views.open
        self.socket_url = ""
        self.delay: dict[str, float] = {}  # method → seconds to wait before answering
        self.bot_user_id = "UBOT00001"
        self._failures: dict[str, list[_Failure]] = {}
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="slack-stand-in", daemon=True)

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> SlackStandIn:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def hook_url(self, name: str = "response") -> str:
        return f"{self.base_url}/hooks/{name}"

    # ------------------------------------------------------------------ test controls

    def fail(
        self, method: str, status: int, *, retry_after: int | None = None, count: int = 1, error: str = "",
        accepted: bool = False, dropped: bool = False,
    ) -> None:
        """The next `count` calls of `method` answer `status` (429 with Retry-After, 500, …).

        `accepted`: Slack carried the call out and then answered the failure (the message exists);
        `dropped`: it carried it out and the connection closed before any answer.
        """
        with self._lock:
            self._failures.setdefault(method, []).append(
                _Failure(status, retry_after, count, error or ("ratelimited" if status == 429 else "fatal_error"),
                         accepted=accepted or dropped, dropped=dropped)
            )

    def of(self, method: str) -> list[Call]:
        """Successful calls of one method, in arrival order."""
        with self._lock:
            return [c for c in self.calls if c.method == method and c.status == 200 and c.ok]

    def tried(self, method: str) -> list[Call]:
        """Every call of one method, answered or failed."""
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, predicate: Callable[[], object], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"stand-in: condition not met in {timeout} s; calls: {[c.method for c in self.calls]}"
                )
            time.sleep(0.01)

    def recover(self, method: str) -> None:
        """The failures queued for `method` are over: its next call succeeds."""
        with self._lock:
            self._failures.pop(method, None)

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.messages.clear()
            self.views.clear()
            self._failures.clear()

    # ------------------------------------------------------------------ the API

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": f"{self.base_url}/",
                "team": "Test",
                "user": "bouncecheck",
                "team_id": "T0001",
                "user_id": self.bot_user_id,
                "bot_id": "B0001",
            }
        if method == "chat.postMessage":
            channel = str(body.get("channel"))
            ts = f"{int(time.time())}.{next(self._ts):06d}"
            message = {
                "type": "message",
                "ts": ts,
                "user": self.bot_user_id,
                "text": body.get("text", ""),
                "blocks": body.get("blocks"),
                "attachments": body.get("attachments"),
            }
            if body.get("thread_ts"):
                message["thread_ts"] = body["thread_ts"]
            if body.get("metadata"):
                message["metadata"] = body["metadata"]
            self.messages.setdefault(channel, []).append(message)
            return {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method == "chat.update":
            channel, ts = str(body.get("channel")), str(body.get("ts"))
            for message in self.messages.get(channel, []):
                if message["ts"] == ts:
                    message.update({k: body.get(k) for k in ("text", "blocks", "attachments")})
                    return {"ok": True, "channel": channel, "ts": ts}
            return {"ok": False, "error": "message_not_found"}
        if method == "chat.getPermalink":
            channel, ts = str(body.get("channel")), str(body.get("message_ts"))
            if not any(m["ts"] == ts for m in self.messages.get(channel, [])):
                return {"ok": False, "error": "message_not_found"}
            return {"ok": True, "channel": channel,
                    "permalink": f"{WORKSPACE_URL}/archives/{channel}/p{ts.replace('.', '')}"}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"{int(time.time())}.{next(self._ts):06d}"}
        if method in ("conversations.history", "conversations.replies"):
            channel = str(body.get("channel"))
            oldest = float(body.get("oldest") or 0)
            wanted = [m for m in self.messages.get(channel, []) if float(m["ts"]) >= oldest]
            if method == "conversations.replies":
                wanted = [m for m in wanted if m.get("thread_ts") == body.get("ts") or m["ts"] == body.get("ts")]
            else:
                wanted = [m for m in wanted if "thread_ts" not in m]
            return {"ok": True, "messages": list(reversed(wanted)), "has_more": False}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts):08d}"
            return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in body.get("files", [])]}
        if method == "files.info":
            return {"ok": True, "file": {"id": body.get("file")}}
        if method == "views.publish":
            return {"ok": True, "view": body.get("view")}
        if method == "views.open":
            view = body.get("view")
            if not body.get("trigger_id") or not isinstance(view, dict):
                return {"ok": False, "error": "invalid_arguments"}
            view_id = f"V{next(self._ts):08d}"
            self.views[view_id] = view
            return {"ok": True, "view": {**view, "id": view_id}}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.socket_url}
        return {"ok": False, "error": "unknown_method"}

    def _take_failure(self, method: str) -> _Failure | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        failure.count -= 1
        if failure.count <= 0:
            queue.pop(0)
        return failure

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                path = urllib.parse.urlsplit(self.path).path
                if path.startswith("/upload/"):
                    # files_upload_v2 sends the PNG bytes labelled as a form: never parse them.
                    method, body = "upload", {"bytes": len(raw), "png": raw[:8] == b"\x89PNG\r\n\x1a\n"}
                elif path.startswith("/hooks/"):
                    method, body = "hook", _parse(raw, self.headers.get("content-type", ""))
                else:
                    method, body = path.removeprefix("/api/"), _parse(raw, self.headers.get("content-type", ""))
                if (pause := stand_in.delay.get(method)) is not None:
                    time.sleep(pause)
                with stand_in._lock:
                    failure = stand_in._take_failure(method)
                    if failure and failure.accepted:
                        stand_in._answer(method, body)  # it happened; the client just does not hear so
                    if failure:
                        answer: dict[str, Any] = {"ok": False, "error": failure.error}
                        status = failure.status
                    elif method in ("upload", "hook"):
                        answer, status = {"ok": True}, 200
                    else:
                        answer, status = stand_in._answer(method, body), 200
                    stand_in.calls.append(Call(method, path, body, dict(self.headers.items()), status,
                                               ok=failure is None))
                data = json.dumps(answer).encode() if method != "hook" or failure else b"ok"
                if failure and failure.dropped:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json" if method != "hook" else "text/plain")
                    if failure and failure.retry_after is not None:
                        self.send_header("retry-after", str(failure.retry_after))
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client was killed mid-call (bench/slack_delivery.py does that on purpose)

            do_GET = do_POST

        return Handler


def _parse(raw: bytes, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    if "json" in content_type:
        parsed = json.loads(raw)
        return parsed if isinstance(parsed, dict) else {"_": parsed}
    body: dict[str, Any] = dict(urllib.parse.parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    for key in JSON_FIELDS:
        if isinstance(body.get(key), str) and body[key][:1] in "[{":
            body[key] = json.loads(body[key])
    return body


@contextmanager
def slack_stand_in() -> Iterator[SlackStandIn]:
    with SlackStandIn() as stand_in:
        yield stand_in
