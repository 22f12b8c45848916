"""The HTTP door in front of Bolt: bound the body, verify the signature, refuse what cannot be parsed.

Called by bot/slack/wsgi.py for every `POST /slack/events`, before Bolt sees the request, so no
listener, error handler or outbound call ever runs for a request Slack did not sign. slack_sdk's own
verifier raises on a timestamp that is not an integer, which let an unsigned request reach the error
handler and its `response_url`; here the timestamp's shape is checked first (digits, ±5 minutes).

    413  Content-Length above MAX_BODY (or a chunked body growing past it), refused before reading it
    401  no, malformed or stale timestamp; no or wrong signature
    400  a signed body that is not a form or JSON Bolt can read (bad JSON, not an object, no type)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO
from urllib.parse import parse_qs

MAX_BODY = 1024 * 1024  # Slack's payloads are a few KiB; a modal's state stays far below 1 MiB
MAX_SKEW_SECONDS = 300
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_SIGNATURE = re.compile(r"^v0=[0-9a-f]{64}$")
_MAX_NESTING = 64  # JSON deeper than this is no Slack payload (and recursion is not free)


@dataclass(frozen=True, slots=True, kw_only=True)
class Refusal:
    status: int  # 400, 401, 411, 413
    reason: str  # for the one log line; never echoed to the client


def read_body(environ: Mapping[str, Any], limit: int = MAX_BODY) -> bytes | Refusal:
    """The request body, read only when it is known to fit."""
    stream: BinaryIO = environ["wsgi.input"]
    length_header = str(environ.get("CONTENT_LENGTH") or "").strip()
    if length_header:
        if not length_header.isdigit():
            return Refusal(status=400, reason=f"Content-Length {length_header[:20]!r} is not a number")
        length = int(length_header)
        if length > limit:
            return Refusal(status=413, reason=f"body of {length} bytes, more than {limit}")
        return stream.read(length)
    if "chunked" in str(environ.get("HTTP_TRANSFER_ENCODING", "")).lower():
        body = stream.read(limit + 1)
        return Refusal(status=413, reason=f"chunked body past {limit} bytes") if len(body) > limit else body
    return Refusal(status=411, reason="no Content-Length")


def verify(headers: Mapping[str, str], body: bytes, secret: str, now: float) -> Refusal | None:
    """None when Slack signed `body` within the last five minutes, else why not (pure)."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not _TIMESTAMP.match(timestamp):
        return Refusal(status=401, reason="missing or malformed X-Slack-Request-Timestamp")
    if abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
        return Refusal(status=401, reason="stale X-Slack-Request-Timestamp (replay?)")
    if not _SIGNATURE.match(signature):
        return Refusal(status=401, reason="missing or malformed X-Slack-Signature")
    expected = "v0=" + hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body,
                                hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return Refusal(status=401, reason="signature does not match")
    return None


def well_formed(content_type: str, body: bytes) -> Refusal | None:
    """None when Bolt can read the signed body: a form (maybe with a JSON `payload`) or a JSON event (pure)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return Refusal(status=400, reason="body is not UTF-8")
    if content_type.split(";")[0].strip().lower() == "application/json":
        return _json_object(text, "body")
    form = parse_qs(text, keep_blank_values=True)
    if "payload" in form:
        return _json_object(form["payload"][0], "payload")
    if not form:
        return Refusal(status=400, reason="empty form")
    return None


def _json_object(text: str, what: str) -> Refusal | None:
    if _nesting(text) > _MAX_NESTING:
        return Refusal(status=400, reason=f"{what} nests deeper than {_MAX_NESTING}")
    try:
        value = json.loads(text)
    except ValueError:
        return Refusal(status=400, reason=f"{what} is not JSON")
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        return Refusal(status=400, reason=f"{what} is not a Slack payload (an object with a type)")
    if (problem := _shape_problem(value)) is not None:
        return Refusal(status=400, reason=f"{what}: {problem}")
    return None


def _shape_problem(payload: dict[str, Any]) -> str | None:
    """What Bolt's own matching would trip on before any listener of ours runs (it indexes blindly)."""
    for key in ("user", "channel", "team", "view", "container"):
        if key in payload and not isinstance(payload[key], dict | type(None)) and not (
                key in ("user", "channel", "team") and payload.get("type") == "event_callback"):
            return f"{key} is not an object"
    actions = payload.get("actions")
    if actions is not None and not (isinstance(actions, list) and all(
            isinstance(a, dict) and isinstance(a.get("action_id", ""), str) for a in actions)):
        return "actions is not a list of actions"
    if payload.get("type") == "event_callback" and not (
            isinstance(payload.get("event"), dict) and isinstance(payload["event"].get("type"), str)):
        return "event_callback without an event"
    return None


def _nesting(text: str) -> int:
    """The deepest [ or { nesting, ignoring brackets inside strings; linear in the text."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def headers_of(environ: Mapping[str, Any]) -> dict[str, str]:
    """WSGI's HTTP_* variables as lower-case header names."""
    return {key[5:].replace("_", "-").lower(): str(value) for key, value in environ.items()
            if key.startswith("HTTP_")}
