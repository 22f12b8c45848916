"""The one door to Slack's Web API: every call the bot makes goes through `SlackGateway`, and every failure
comes out as a `SlackFailure` of one of three kinds, which is what the delivery acts on.

    transient  rate limits, 5xx, network: retried with backoff (Retry-After honoured)
    permanent  channel_not_found, not_in_channel, is_archived, invalid_blocks, msg_too_long, …:
               kept as a dead letter until an admin fixes the cause and runs `bouncecheck outbox retry`
    token      invalid_auth, token_revoked, account_inactive, …: stop posting and say so loudly

Calls that create a message never retry on their own: after a 5xx or a dropped connection Slack may
have made it, and the outbox's next attempt looks for the message by its metadata first
(`find_posted`); after a 429 the outbox waits Retry-After, rather than a thread sleeping on it.
Idempotent calls (an update, a lookup) keep the client's own retries.
"""

from __future__ import annotations

import http.client
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.metrics import count_slack_error

log = logging.getLogger(__name__)

METADATA_EVENT = "bouncecheck_outbox"


class FailureKind(StrEnum):
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    TOKEN = "token"


# https://api.slack.com/methods/chat.postMessage#errors and the common errors of every method
TOKEN_ERRORS = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
                          "not_allowed_token_type", "ekm_access_denied", "org_login_required"})
TRANSIENT_ERRORS = frozenset({"ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable",
                              "request_timeout", "timeout"})


@dataclass(frozen=True, slots=True)
class SlackFailure(Exception):
    """Why a call failed, sorted; `maybe_sent`: Slack may have carried it out (a 5xx, a dropped answer)."""

    kind: FailureKind
    error: str  # Slack's error string, or what the network said
    status: int | None = None
    retry_after: float | None = None
    maybe_sent: bool = False

    def __str__(self) -> str:  # "permanent: channel_not_found", "transient: fatal_error (HTTP 500)"
        status = f" (HTTP {self.status})" if self.status and self.status != 200 else ""
        return f"{self.kind}: {self.error}{status}"


def classify(exc: BaseException) -> SlackFailure:
    """A slack_sdk or network exception as a `SlackFailure`, counted in the metrics."""
    failure = _classify(exc)
    if not isinstance(exc, SlackFailure):
        count_slack_error(failure.kind.value, failure.error if failure.status else "network")
    return failure


def _classify(exc: BaseException) -> SlackFailure:
    if isinstance(exc, SlackFailure):
        return exc
    if isinstance(exc, SlackApiError):
        response = exc.response
        status = int(getattr(response, "status_code", 0) or 0) or None
        error = str(response.get("error") or "") if hasattr(response, "get") else ""
        if status == 429 or error in ("ratelimited", "rate_limited"):
            return SlackFailure(FailureKind.TRANSIENT, error or "ratelimited", status, _retry_after(response))
        if status is not None and status >= 500:
            return SlackFailure(FailureKind.TRANSIENT, error or "server error", status, maybe_sent=True)
        if error in TOKEN_ERRORS:
            return SlackFailure(FailureKind.TOKEN, error, status)
        if error in TRANSIENT_ERRORS:
            return SlackFailure(FailureKind.TRANSIENT, error, status, maybe_sent=True)
        return SlackFailure(FailureKind.PERMANENT, error or "unknown error", status)
    if isinstance(exc, OSError | http.client.HTTPException):
        return SlackFailure(FailureKind.TRANSIENT, f"{exc.__class__.__name__}: {exc}", maybe_sent=True)
    if isinstance(exc, SlackClientError):  # a request the SDK would not even send (a bad argument)
        return SlackFailure(FailureKind.PERMANENT, f"{exc.__class__.__name__}: {exc}")
    raise TypeError(f"not a Slack failure: {exc!r}") from exc


def _retry_after(response: Any) -> float | None:
    headers: Mapping[str, Any] = getattr(response, "headers", None) or {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            value = value[0] if isinstance(value, list) and value else value
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                return None
    return None


@dataclass(frozen=True, slots=True)
class Posted:
    channel: str
    ts: str


class SlackGateway:
    """The bot's Slack calls. Methods raise `SlackFailure`, never a slack_sdk exception."""

    def __init__(self, client: WebClient) -> None:
        self.client = client
        # For calls that create a message: no retries of its own (the outbox retries, looking first).
        self._posting = WebClient(token=client.token, base_url=client.base_url, timeout=client.timeout,
                                  retry_handlers=[])

    def post(self, channel: str, message: Mapping[str, Any], *, key: str, thread_ts: str | None = None,
             broadcast: bool = False) -> Posted:
        """A new message, marked with the outbox key it was sent for (so `find_posted` can tell it is there)."""
        try:
            response = self._posting.chat_postMessage(
                channel=channel, thread_ts=thread_ts, reply_broadcast=broadcast or None,
                metadata={"event_type": METADATA_EVENT, "event_payload": {"key": key}}, **_content(message))
        except (SlackApiError, SlackClientError, OSError, http.client.HTTPException) as exc:
            raise classify(exc) from exc
        return Posted(channel=str(response.get("channel") or channel), ts=str(response["ts"]))

    def update(self, channel: str, ts: str, message: Mapping[str, Any]) -> None:
        self._call(self.client.chat_update, channel=channel, ts=ts, **_content(message))

    def upload(self, channel: str, *, thread_ts: str | None, content: bytes, filename: str, title: str) -> None:
        try:
            self._posting.files_upload_v2(channel=channel, thread_ts=thread_ts, content=content, filename=filename,
                                          title=title, request_file_info=False)
        except (SlackApiError, SlackClientError, OSError, http.client.HTTPException) as exc:
            raise classify(exc) from exc

    def find_posted(self, channel: str, key: str, *, thread_ts: str | None, since: datetime | None) -> str | None:
        """The ts of a message we posted with this outbox key, looked up by its metadata; None if not found."""
        oldest = f"{since.timestamp() - 60:.6f}" if since else "0"
        if thread_ts:
            response = self._call(self.client.conversations_replies, channel=channel, ts=thread_ts, oldest=oldest,
                                  include_all_metadata=True, limit=200)
        else:
            response = self._call(self.client.conversations_history, channel=channel, oldest=oldest,
                                  include_all_metadata=True, limit=200)
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == METADATA_EVENT and (metadata.get("event_payload") or {}).get("key") == key:
                return str(message["ts"])
        return None

    def permalink(self, channel: str, ts: str) -> str:
        """The workspace's own link to a message (its host, its enterprise grid path)."""
        return str(self._call(self.client.chat_getPermalink, channel=channel, message_ts=ts)["permalink"])

    def publish_home(self, user: str, view: Mapping[str, Any]) -> None:
        self._call(self.client.views_publish, user_id=user, view=view)

    def usergroup_members(self, group: str) -> list[str]:
        return list(self._call(self.client.usergroups_users_list, usergroup=group).get("users") or [])

    def _call(self, method: Any, **kwargs: Any) -> Any:
        try:
            return method(**kwargs)
        except (SlackApiError, SlackClientError, OSError, http.client.HTTPException) as exc:
            raise classify(exc) from exc


def _content(message: Mapping[str, Any]) -> dict[str, Any]:
    return {k: message[k] for k in ("text", "blocks", "attachments") if k in message}
