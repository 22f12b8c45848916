"""A local stand-in for Prometheus's HTTP API (`GET /api/v1/query`), recording every call.

Answers each query string from `answers` (set with `vector(query, *values)` or `scalar(query, value)`);
a query it was not told about has no series, as Prometheus answers for a metric nobody exports.
`fail(...)` makes the next calls answer an HTTP status, a `"status": "error"` body, or hang (the
client's timeout fires) until `recover()`. Used by tests/volume/test_prometheus.py.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True, slots=True)
class Call:
    path: str
    query: str  # the PromQL, decoded
    time: str  # the `time` parameter as sent ("" when absent)
    authorization: str  # the Authorization header ("" when absent)


@dataclass(frozen=True, slots=True)
class _Failure:
    status: int  # the HTTP status to answer
    body: dict[str, Any] | str  # a JSON object (Prometheus's own error) or a text body (a proxy's page)
    hang: float  # seconds to wait before answering (cut short when the stand-in stops)


class PrometheusStandIn:
    """Start with `with PrometheusStandIn() as prometheus:`; `prometheus.url` is the `[[volume]] url`."""

    def __init__(self) -> None:
        self.answers: dict[str, dict[str, Any]] = {}  # query → the `data` object of the answer
        self.calls: list[Call] = []
        self._failure: _Failure | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="prometheus-stand-in", daemon=True)

    def __enter__(self) -> PrometheusStandIn:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # ------------------------------------------------------------------ test controls

    def vector(self, query: str, *values: float | str) -> None:
        """`query` answers an instant vector with one series per value."""
        result = [{"metric": {"series": str(n)}, "value": [0, str(v)]} for n, v in enumerate(values)]
        self.answers[query] = {"resultType": "vector", "result": result}

    def scalar(self, query: str, value: float | str) -> None:
        self.answers[query] = {"resultType": "scalar", "result": [0, str(value)]}

    def fail(self, status: int = 500, *, error: str = "", error_type: str = "bad_data", text: str = "",
             hang: float = 0.0) -> None:
        """The next calls answer `status`: with Prometheus's `{"status": "error", "error": error}` when
        `error` is given, else with `text` (or "internal error"); after `hang` seconds when given."""
        body: dict[str, Any] | str = ({"status": "error", "errorType": error_type, "error": error} if error
                                      else text or "internal error")
        with self._lock:
            self._failure = _Failure(status, body, hang)

    def recover(self) -> None:
        with self._lock:
            self._failure = None

    # ------------------------------------------------------------------ the API

    def _answer(self, path: str, params: dict[str, list[str]]) -> tuple[int, dict[str, Any] | str]:
        if path != "/api/v1/query":
            return 404, "404 page not found"
        query = params.get("query", [""])[0]
        if not query:
            return 400, {"status": "error", "errorType": "bad_data", "error": 'invalid parameter "query"'}
        data = self.answers.get(query, {"resultType": "vector", "result": []})
        return 200, {"status": "success", "data": data}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urllib.parse.urlsplit(self.path)
                params = urllib.parse.parse_qs(parts.query)
                with stand_in._lock:
                    stand_in.calls.append(Call(path=parts.path, query=params.get("query", [""])[0],
                                               time=params.get("time", [""])[0],
                                               authorization=self.headers.get("Authorization", "")))
                    failure = stand_in._failure
                if failure is not None:
                    stand_in._stopping.wait(failure.hang)
                    status, body = failure.status, failure.body
                else:
                    status, body = stand_in._answer(parts.path, params)
                payload = json.dumps(body).encode() if isinstance(body, dict) else body.encode()
                kind = "application/json" if isinstance(body, dict) else "text/plain; charset=utf-8"
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (its timeout fired during a hang)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
