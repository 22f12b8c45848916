"""Slack delivery through a persistent outbox: the notifier enqueues, `deliver_outbox` sends.

    monitor ──notify(incident, events)──► SlackNotifier ──rows──► outbox table
    scheduler ──every few seconds──► deliver_outbox(engine, client, now) ──► Slack Web API

Each row is claimed with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL), sent only when every
earlier row of its incident is delivered (so a follow-up never precedes its card), and marked
delivered with the message `ts` in the same transaction that records the card's location. A row
whose earlier attempt may have reached Slack (the process died, the connection dropped) is looked
up by its metadata key before it is sent again, so a restart never posts twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy import Connection, Engine, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.config import DNSSettings
from bot.models import EventKind, Incident, IncidentEvent, IncidentState
from bot.reputation.zones import build_catalogue
from bot.slack import blocks
from bot.slack.chart import bounce_chart
from bot.slack.queries import card_location, window_series
from bot.store.leases import LEASE_TERM, current_owner, free_dead_leases
from bot.store.rates_queries import utc_or_none
from bot.store.schema import incidents, outbox

log = logging.getLogger(__name__)

POST_CARD, UPDATE_CARD, POST_THREAD, UPLOAD, POST_MESSAGE = (
    "post_card",
    "update_card",
    "post_thread",
    "upload",
    "post_message",
)
METADATA_EVENT = "bouncecheck_outbox"
MAX_ATTEMPTS = 12
# While snoozed, these stay out of the thread; people's actions and the resolution still go in.
QUIET_WHEN_SNOOZED = frozenset({EventKind.GREW, EventKind.CAUSE_CHANGED, EventKind.LISTED, EventKind.DELISTED})

# listing keys ("192.0.2.10@zen.spamhaus.org") → where to ask for delisting
DelistUrls = Callable[[Iterable[str]], Mapping[str, str]]


def _no_delist_urls(_listings: Iterable[str]) -> Mapping[str, str]:
    return {}


def catalogue_delist_urls(dns: DNSSettings) -> DelistUrls:
    """Delist links from the reputation zone catalogue (with the user's `[dns] zones` overrides)."""
    zones = {zone.zone: zone for zone in build_catalogue(dns)}

    def urls(listings: Iterable[str]) -> Mapping[str, str]:
        out = {}
        for listing in listings:
            target, _, name = listing.partition("@")
            if (zone := zones.get(name)) is not None and zone.delist_url:
                out[listing] = zone.delist_for(target)
        return out

    return urls


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxRow:
    """A message to send, before it is stored."""

    dedupe_key: str
    incident_id: int | None
    action: str
    channel: str | None
    payload: dict[str, Any]


class SlackNotifier:
    """The monitor's Notifier for Slack: turns incident events into outbox rows, never calls Slack itself."""

    def __init__(
        self,
        engine: Engine,
        *,
        channel: str,
        window: timedelta,
        clock: Callable[[], datetime],
        delist_urls: DelistUrls = _no_delist_urls,
        charts: bool = True,
        on_enqueue: Callable[[], None] | None = None,
    ) -> None:
        self._engine = engine
        self._channel = channel
        self._window = window
        self._clock = clock
        self._delist_urls = delist_urls
        self._charts = charts
        self._on_enqueue = on_enqueue

    def notify(self, incident: Incident, events: Sequence[IncidentEvent]) -> None:
        now = self._clock()
        urls = self._delist_urls([*incident.listings, *(str(e.data.get("listing", "")) for e in events)])
        card = blocks.incident_card(incident, now=now, delist_urls=urls).payload()
        rows = [
            OutboxRow(
                dedupe_key=f"incident:{incident.id}:card",
                incident_id=incident.id,
                action=POST_CARD,
                channel=self._channel,
                payload=card,
            )
        ]
        for event in events:
            rows += self._event_rows(incident, event, now, urls)
        rows.append(
            OutboxRow(
                dedupe_key=f"incident:{incident.id}:update:{_digest(card)}:{now.isoformat()}",
                incident_id=incident.id,
                action=UPDATE_CARD,
                channel=None,
                payload=card,
            )
        )
        inserted = self._enqueue(rows)
        log.debug("incident %d: %d event(s), %d outbox row(s) queued", incident.id, len(events), inserted)

    def post_in_thread(self, incident: Incident, message: blocks.Message, *, key: str) -> None:
        """A reply in the incident's thread that is not an incident event (a recheck's answer)."""
        self._enqueue(
            [
                OutboxRow(
                    dedupe_key=f"incident:{incident.id}:{key}",
                    incident_id=incident.id,
                    action=POST_THREAD,
                    channel=None,
                    payload=message.payload(),
                )
            ]
        )

    def post_message(self, message: blocks.Message, *, key: str) -> None:
        """A top-level message in the alert channel (ops notices)."""
        self._enqueue(
            [
                OutboxRow(
                    dedupe_key=key,
                    incident_id=None,
                    action=POST_MESSAGE,
                    channel=self._channel,
                    payload=message.payload(),
                )
            ]
        )

    def _enqueue(self, rows: Sequence[OutboxRow]) -> int:
        inserted = enqueue(self._engine, rows, self._clock())
        if inserted and self._on_enqueue is not None:
            self._on_enqueue()
        return inserted

    def ops(self, text: str) -> None:
        """A notice for the people who run the bot; the same text at most once an hour."""
        now = self._clock()
        key = f"ops:{hashlib.sha256(text.encode()).hexdigest()[:16]}:{now:%Y%m%d%H}"
        self.post_message(blocks.notice(f"🛠️ {blocks.inert(text)}"), key=key)

    def _event_rows(
        self, incident: Incident, event: IncidentEvent, now: datetime, urls: Mapping[str, str]
    ) -> list[OutboxRow]:
        snoozed = (
            incident.state is IncidentState.SNOOZED
            and incident.snoozed_until is not None
            and incident.snoozed_until > now
        )
        if snoozed and event.kind in QUIET_WHEN_SNOOZED:
            return []
        key = f"incident:{incident.id}:event:{event.kind}:{event.at.isoformat()}:{event.actor or ''}"
        rows = []
        message = blocks.followup(event, incident, delist_urls=urls)
        if message is not None:
            payload = message.payload()
            payload["reply_broadcast"] = event.kind is EventKind.RESOLVED
            rows.append(
                OutboxRow(dedupe_key=key, incident_id=incident.id, action=POST_THREAD, channel=None, payload=payload)
            )
        if self._charts and event.kind in (EventKind.OPENED, EventKind.RESOLVED):
            rows.append(
                OutboxRow(
                    dedupe_key=f"{key}:chart",
                    incident_id=incident.id,
                    action=UPLOAD,
                    channel=None,
                    payload=self._chart(incident, event, now),
                )
            )
        return rows

    def _chart(self, incident: Incident, event: IncidentEvent, now: datetime) -> dict[str, Any]:
        """What to draw; the PNG is rendered at delivery, so drawing never delays the card."""
        end = incident.resolved_at or now
        start = min(incident.opened_at - max(self._window * 3, timedelta(hours=6)), end - timedelta(hours=1))
        stamp = (incident.resolved_at if event.kind is EventKind.RESOLVED else incident.opened_at) or now
        return {
            "domain": incident.domain,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "window_seconds": self._window.total_seconds(),
            "threshold": incident.threshold,
            "title": f"Bounces for {incident.domain} in a {blocks.duration(self._window)} window",
            "filename": f"bounces-{incident.domain}-{stamp:%Y%m%dT%H%M}.png",
        }


def _digest(payload: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- enqueue


def enqueue(engine: Engine, rows: Sequence[OutboxRow], now: datetime) -> int:
    """Store rows in order; a row whose dedupe_key is already there is skipped. Returns how many were new."""
    if not rows:
        return 0
    with engine.begin() as conn:
        return sum(_insert_ignore(conn, row, now) for row in rows)


def _insert_ignore(conn: Connection, row: OutboxRow, now: datetime) -> int:
    values = {
        "dedupe_key": row.dedupe_key[:200],
        "incident_id": row.incident_id,
        "action": row.action,
        "channel": row.channel,
        "payload": row.payload,
        "created_at": now,
        "attempts": 0,
        "next_attempt_at": now,
    }
    dialect = conn.dialect.name
    if dialect == "postgresql":
        statement: Any = (
            postgresql.insert(outbox).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
    else:
        statement = sqlite.insert(outbox).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    return int(conn.execute(statement).rowcount or 0)


# --------------------------------------------------------------------------- delivery


class Courier:
    """Delivers the outbox from a background thread as soon as rows are queued, so an alert or a
    click's answer goes out within a second instead of at the next scheduled delivery run."""

    def __init__(self, deliver: Callable[[], object]) -> None:
        self._deliver = deliver
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="slack-courier", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def kick(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait()
            self._wake.clear()
            if self._stopping.is_set():
                break
            try:
                self._deliver()
            except Exception:  # the scheduled delivery job retries; this thread must live on
                log.exception("outbox delivery failed")


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryReport:
    delivered: int = 0
    failed: int = 0


class _Undeliverable(Exception):
    """The row cannot be sent yet (no card to reply to) or ever (gave up)."""


def deliver_outbox(
    engine: Engine,
    client: WebClient,
    now: datetime,
    *,
    owner: str | None = None,
    max_rows: int = 200,
    lease: timedelta = LEASE_TERM,
) -> DeliveryReport:
    """Send what is due, in order per incident; on failure back off and leave the rest of that incident."""
    owner = owner or current_owner()
    free_dead_leases(engine, now)  # posts a crashed predecessor on this node had claimed go out now
    delivered = failed = 0
    for _ in range(max_rows):
        row = _claim(engine, owner, now, lease)
        if row is None:
            break
        try:
            ts, channel = _send(engine, client, row)
        except (SlackApiError, SlackClientError, OSError, _Undeliverable) as exc:
            failed += 1
            _failed(engine, row, now, exc)
            continue
        _delivered(engine, row, now, ts, channel)
        delivered += 1
    if delivered or failed:
        log.info("outbox: %d delivered, %d failed", delivered, failed)
    return DeliveryReport(delivered=delivered, failed=failed)


def _claim(engine: Engine, owner: str, now: datetime, lease: timedelta) -> dict[str, Any] | None:
    earlier = outbox.alias("earlier")
    head = (
        select(outbox.c.id)
        .where(
            outbox.c.delivered_at.is_(None),
            outbox.c.next_attempt_at <= now,
            (outbox.c.lease_until.is_(None)) | (outbox.c.lease_until < now),
            ~exists().where(
                earlier.c.incident_id == outbox.c.incident_id,
                earlier.c.id < outbox.c.id,
                earlier.c.delivered_at.is_(None),
            ),
        )
        .order_by(outbox.c.id)
        .limit(1)
    )
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            head = head.with_for_update(skip_locked=True, of=outbox)
        row_id = conn.scalar(head)
        if row_id is None:
            return None
        # The conditions again: on SQLite there is no row lock, so the UPDATE is what claims.
        claimed = conn.execute(
            update(outbox)
            .where(
                outbox.c.id == row_id,
                outbox.c.delivered_at.is_(None),
                (outbox.c.lease_until.is_(None)) | (outbox.c.lease_until < now),
            )
            .values(lease_owner=owner, lease_until=now + lease, attempts=outbox.c.attempts + 1)
        )
        if claimed.rowcount != 1:
            return None
        row = conn.execute(select(outbox).where(outbox.c.id == row_id)).mappings().one()
    return dict(row)


def _send(engine: Engine, client: WebClient, row: Mapping[str, Any]) -> tuple[str | None, str | None]:
    action = row["action"]
    payload = dict(row["payload"])
    if action == UPDATE_CARD and _superseded(engine, row):
        return None, None
    if action in (POST_CARD, POST_MESSAGE):
        channel, thread_ts = str(row["channel"]), None
    else:
        location = card_location(engine, row["incident_id"]) if row["incident_id"] is not None else None
        if location is None:
            raise _Undeliverable(f"incident {row['incident_id']} has no card to reply to yet")
        channel, thread_ts = location
        if action == UPDATE_CARD:
            client.chat_update(channel=channel, ts=thread_ts, **_message_args(payload))
            return thread_ts, channel
    if action == UPLOAD:
        client.files_upload_v2(
            channel=channel,
            thread_ts=thread_ts,
            content=_render_chart(engine, payload),
            filename=payload["filename"],
            title=payload["title"],
            request_file_info=False,
        )
        return None, channel
    key = str(row["dedupe_key"])
    if _maybe_sent(row) and (found := _find_sent(client, channel, thread_ts, key, utc_or_none(row["created_at"]))):
        log.info("outbox row %s was already delivered (ts %s); not sending again", key, found)
        return found, channel
    response = _without_blind_retries(client).chat_postMessage(
        channel=channel,
        thread_ts=thread_ts,
        reply_broadcast=bool(payload.pop("reply_broadcast", False)) or None,
        metadata={"event_type": METADATA_EVENT, "event_payload": {"key": key}},
        **_message_args(payload),
    )
    return str(response["ts"]), str(response.get("channel") or channel)


_POSTING_CLIENTS: dict[int, WebClient] = {}


def _without_blind_retries(client: WebClient) -> WebClient:
    """The client for calls that create a message: it retries a 429 (Slack did nothing), never a 5xx or a
    dropped connection, after which the message may exist; the outbox's next attempt looks for it first."""
    key = id(client)
    if key not in _POSTING_CLIENTS:
        _POSTING_CLIENTS[key] = WebClient(
            token=client.token, base_url=client.base_url, timeout=client.timeout,
            retry_handlers=[h for h in client.retry_handlers if isinstance(h, RateLimitErrorRetryHandler)])
    return _POSTING_CLIENTS[key]


def _render_chart(engine: Engine, spec: Mapping[str, Any]) -> bytes:
    window = timedelta(seconds=float(spec["window_seconds"]))
    series = window_series(
        engine,
        str(spec["domain"]),
        start=datetime.fromisoformat(spec["start"]),
        end=datetime.fromisoformat(spec["end"]),
        window=window,
    )
    return bounce_chart(series, domain=str(spec["domain"]), threshold=int(spec["threshold"]), title=str(spec["title"]))


def _message_args(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {k: payload[k] for k in ("text", "blocks", "attachments") if k in payload}


def _maybe_sent(row: Mapping[str, Any]) -> bool:
    """An earlier attempt was claimed and did not end in a refusal from Slack: it may have landed."""
    return int(row["attempts"]) > 1 and not str(row["last_error"] or "").startswith("refused")


def _find_sent(client: WebClient, channel: str, thread_ts: str | None, key: str, since: datetime | None) -> str | None:
    """The ts of a message we posted with this outbox key, looked up by its metadata."""
    oldest = f"{since.timestamp() - 60:.6f}" if since else "0"
    try:
        if thread_ts:
            response = client.conversations_replies(
                channel=channel, ts=thread_ts, oldest=oldest, include_all_metadata=True, limit=200
            )
        else:
            response = client.conversations_history(
                channel=channel, oldest=oldest, include_all_metadata=True, limit=200
            )
    except (SlackApiError, SlackClientError, OSError) as exc:
        log.warning("cannot check whether %s was already posted (%s); sending it", key, exc)
        return None
    for message in response.get("messages") or []:
        metadata = message.get("metadata") or {}
        if metadata.get("event_type") == METADATA_EVENT and (metadata.get("event_payload") or {}).get("key") == key:
            return str(message["ts"])
    return None


def _superseded(engine: Engine, row: Mapping[str, Any]) -> bool:
    """A newer card update is queued: this one would only flash an old state."""
    with engine.connect() as conn:
        return bool(
            conn.scalar(
                select(
                    exists().where(
                        outbox.c.incident_id == row["incident_id"],
                        outbox.c.action == UPDATE_CARD,
                        outbox.c.id > row["id"],
                        outbox.c.delivered_at.is_(None),
                    )
                )
            )
        )


def _delivered(engine: Engine, row: Mapping[str, Any], now: datetime, ts: str | None, channel: str | None) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(outbox)
            .where(outbox.c.id == row["id"])
            .values(
                delivered_at=now,
                ts=ts,
                channel=channel or row["channel"],
                lease_owner=None,
                lease_until=None,
                last_error=None,
            )
        )
        if row["action"] == POST_CARD and ts and channel:
            conn.execute(
                update(incidents).where(incidents.c.id == row["incident_id"]).values(slack_channel=channel, slack_ts=ts)
            )


def _failed(engine: Engine, row: Mapping[str, Any], now: datetime, exc: Exception) -> None:
    attempts = int(row["attempts"])
    # A refusal (4xx, or not sendable yet) surely posted nothing; a 5xx or a dropped connection may have.
    refused = isinstance(exc, _Undeliverable) or (
        isinstance(exc, SlackApiError) and int(getattr(exc.response, "status_code", 500) or 500) < 500
    )
    error = f"{'refused' if refused else 'unsure'}: {_describe(exc)}"[:2000]
    values: dict[str, Any] = {"lease_owner": None, "lease_until": None, "last_error": error}
    if attempts >= MAX_ATTEMPTS:
        # Give up so the incident's later messages are not blocked forever; the log keeps why.
        log.error("outbox row %s: giving up after %d attempts: %s", row["dedupe_key"], attempts, error)
        values["delivered_at"] = now
    else:
        values["next_attempt_at"] = now + backoff(attempts)
        log.warning("outbox row %s: attempt %d failed: %s", row["dedupe_key"], attempts, error)
    with engine.begin() as conn:
        conn.execute(update(outbox).where(outbox.c.id == row["id"]).values(**values))


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s … up to 10 minutes between delivery attempts of one row."""
    return timedelta(seconds=min(600, 5 * 2 ** max(0, attempts - 1)))


def _describe(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", "?")
        error = exc.response.get("error") if hasattr(exc.response, "get") else None
        return f"Slack answered {status} {error or ''}".strip()
    return f"{exc.__class__.__name__}: {exc}"
