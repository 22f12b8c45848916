"""The HTTP door: what an unsigned, oversized or malformed request gets, over real HTTP to the app's endpoint.

Every case asserts the status, that nothing was posted to the request's `response_url` (recorded by
the Slack stand-in), that no Slack Web API call was made, and that no traceback reached the log.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import time
import urllib.parse

import pytest

from bot.slack import door
from tests.slack.conftest import SECRET, SlackApp


def outbound(app: SlackApp) -> list[str]:
    """Web API calls and response_url posts since start-up (Bolt's own auth.test at start-up aside)."""
    return [c.path for c in app.slack.calls if c.method != "auth.test"]


def _raw(app: SlackApp, body: bytes, headers: dict[str, str]) -> int:
    host, port = urllib.parse.urlsplit(app.url).netloc.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("POST", "/slack/events", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def signed(body: bytes, *, stamp: str | None = None, secret: str = SECRET,
           content_type: str = "application/x-www-form-urlencoded") -> dict[str, str]:
    stamp = str(int(time.time())) if stamp is None else stamp
    signature = "v0=" + hmac.new(secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}


def command_body(app: SlackApp) -> bytes:
    return urllib.parse.urlencode({"command": "/bouncecheck", "text": "example.com", "user_id": "U0ALICE",
                                   "channel_id": "C0ALERTS", "team_id": "T0001",
                                   "response_url": app.slack.hook_url("evil"), "trigger_id": "t1"}).encode()


UNSIGNED = [
    ("timestamp-abc", {"X-Slack-Request-Timestamp": "abc"}),
    ("timestamp-float", {"X-Slack-Request-Timestamp": "1e9"}),
    ("timestamp-hex", {"X-Slack-Request-Timestamp": "0x10"}),
    ("timestamp-empty", {"X-Slack-Request-Timestamp": ""}),
    ("timestamp-stale", {"X-Slack-Request-Timestamp": str(int(time.time()) - 400)}),
    ("timestamp-future", {"X-Slack-Request-Timestamp": str(int(time.time()) + 900)}),
    ("no-signature", {"X-Slack-Signature": ""}),
    ("bad-signature", {"X-Slack-Signature": "v0=" + "0" * 64}),
    ("garbage-signature", {"X-Slack-Signature": "hello"}),
]


@pytest.mark.parametrize(("case", "override"), UNSIGNED, ids=[c for c, _ in UNSIGNED])
def test_an_unsigned_request_is_401_and_nothing_is_called(
    slack_app: SlackApp, case: str, override: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    body = command_body(slack_app)
    headers = {**signed(body), **override}
    if "timestamp" in case and "X-Slack-Signature" not in override:
        headers = {**signed(body, stamp=override["X-Slack-Request-Timestamp"]), **override}
    with caplog.at_level(logging.WARNING):
        assert _raw(slack_app, body, headers) == 401
    time.sleep(0.2)  # anything the app would have started in the background
    assert outbound(slack_app) == []
    assert "Traceback" not in caplog.text


MALFORMED = [
    ("payload-not-json", b"payload=notjson"),
    ("payload-list", b"payload=%5B%5D"),
    ("payload-null", b"payload=null"),
    ("payload-no-type", b"payload=" + urllib.parse.quote(json.dumps({"actions": []})).encode()),
    ("not-utf8", b"\xff\xfe"),
    ("deep-json", b"payload=" + b"%5B" * 100_000),
    ("empty", b""),
]


@pytest.mark.parametrize(("case", "body"), MALFORMED, ids=[c for c, _ in MALFORMED])
def test_a_signed_but_malformed_body_is_400_without_a_traceback(
    slack_app: SlackApp, case: str, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        assert _raw(slack_app, body, signed(body)) == 400
    assert outbound(slack_app) == []
    assert "Traceback" not in caplog.text
    assert len([r for r in caplog.records if "refused" in r.getMessage()]) == 1


def test_a_json_event_that_is_not_an_object_is_400(slack_app: SlackApp) -> None:
    body = b"[1, 2, 3]"
    assert _raw(slack_app, body, signed(body, content_type="application/json")) == 400


def test_a_body_over_the_limit_is_413_before_it_is_read(slack_app: SlackApp) -> None:
    # Content-Length says 2 MiB; only the headers are sent: the answer must not wait for the body.
    host, port = urllib.parse.urlsplit(slack_app.url).netloc.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        conn.putrequest("POST", "/slack/events")
        for name, value in {**signed(b"x"), "Content-Length": str(2 * door.MAX_BODY)}.items():
            conn.putheader(name, value)
        conn.endheaders()
        started = time.perf_counter()
        assert conn.getresponse().status == 413
        assert time.perf_counter() - started < 2
    finally:
        conn.close()
    assert outbound(slack_app) == []


def test_a_signed_command_still_works(slack_app: SlackApp) -> None:
    status, _, _ = slack_app.command("example.com")
    assert status == 200


def test_other_paths_and_methods_are_refused(slack_app: SlackApp) -> None:
    host, port = urllib.parse.urlsplit(slack_app.url).netloc.split(":")
    for method, path, want in (("GET", "/slack/events", 405), ("POST", "/admin", 404)):
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        conn.request(method, path, body=b"" if method == "POST" else None)
        assert conn.getresponse().status == want
        conn.close()


def test_verify_is_pure_and_strict() -> None:
    body, now = b"a=1", 1_800_000_000.0
    good = signed(body, stamp=str(int(now)))
    lower = {k.lower(): v for k, v in good.items()}
    assert door.verify(lower, body, SECRET, now) is None
    assert door.verify(lower, body + b"2", SECRET, now) is not None
    assert door.verify(lower, body, SECRET, now + 301) is not None
    assert door.verify({**lower, "x-slack-request-timestamp": " 1800000000"}, body, SECRET, now) is not None
