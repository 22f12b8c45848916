"""Sending the outbox: claim a due row, send it through the gateway, settle it by what Slack answered.

    scheduler (every deliver_interval) ─┐
    Courier (the moment a row is queued) ┴─► OutboxDelivery.run(now) ──► SlackGateway ──► Slack

How a failure is settled (bot/slack/gateway.py sorts them):
- transient: again after a backoff (5 s doubling to 10 min, at least Retry-After), without end:
  a Slack outage of a day still delivers everything afterwards, in order;
- permanent: a dead letter, logged once, shown in App Home and /healthz, re-sent by `outbox retry`;
- token: posting stops for everyone in this process (`TOKEN_RECHECK` between tries), loudly;
  the rows wait, due, for a working token.
A row whose earlier attempt may have reached Slack is looked up by its metadata before it is sent
again, so a retry, a restart or another instance never posts twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from bot.slack.chart import bounce_chart
from bot.slack.gateway import FailureKind, SlackFailure, SlackGateway
from bot.slack.queries import card_location, window_series
from bot.store import outbox_store
from bot.store.leases import LEASE_TERM, current_owner, free_dead_leases
from bot.store.outbox_store import TOP_LEVEL, Action, Claimed
from bot.store.slack_messages import keep_permalink, location_of

log = logging.getLogger(__name__)

TOKEN_RECHECK = timedelta(minutes=5)  # while Slack refuses the token, one try this often
NOT_SENT = "(not sent)"  # marks an error after which the message surely does not exist (429, refusals)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryReport:
    delivered: int = 0
    failed: int = 0  # to be retried
    dead: int = 0  # refused for good: dead letters
    halted: str = ""  # Slack refuses the token: why nothing was tried


class _NoCard(Exception):
    """A thread message of an incident whose card is not in Slack (it was discarded, or never made), or
    a reply whose parent message never will be."""


class _Waiting(Exception):
    """A reply whose parent message is not posted yet: it goes once the parent has."""


class OutboxDelivery:
    """The long-lived sender of one process; remembers a refused token between runs."""

    def __init__(self, engine: Engine, gateway: SlackGateway, *, owner: str | None = None,
                 lease: timedelta = LEASE_TERM, max_rows: int = 200) -> None:
        self._engine = engine
        self._gateway = gateway
        self._owner = owner or current_owner()
        self._lease = lease
        self._max_rows = max_rows
        self._halt: tuple[datetime, str] | None = None  # (until, error) while the token is refused
        self._lock = threading.Lock()  # the courier and the scheduled job: one run at a time per process

    def run(self, now: datetime) -> DeliveryReport:
        """Send what is due, in order per incident."""
        with self._lock:
            if self._halt is not None and now < self._halt[0]:
                return DeliveryReport(halted=self._halt[1])
            free_dead_leases(self._engine, now)  # posts a crashed predecessor on this node had claimed go now
            counts = {"delivered": 0, "failed": 0, "dead": 0}
            for _ in range(self._max_rows):
                row = outbox_store.claim(self._engine, self._owner, now, self._lease)
                if row is None:
                    break
                outcome = self._attempt(row, now)
                if outcome == "halted":
                    return DeliveryReport(delivered=counts["delivered"], failed=counts["failed"],
                                          dead=counts["dead"], halted=self._halt[1] if self._halt else "")
                counts[outcome] += 1
            if self._halt is not None:
                log.info("Slack accepts the bot token again: posting resumed")
                self._halt = None
        if any(counts.values()):
            log.info("outbox: %(delivered)d delivered, %(failed)d failed, %(dead)d dead", counts)
        return DeliveryReport(delivered=counts["delivered"], failed=counts["failed"], dead=counts["dead"])

    def _attempt(self, row: Claimed, now: datetime) -> str:
        try:
            ts, channel = self._send(row)
        except _NoCard as exc:
            return self._dead(row, now, f"permanent: {exc}")
        except _Waiting as exc:
            outbox_store.retry_later(self._engine, row, at=now + backoff(row.attempts), error=f"{exc} {NOT_SENT}")
            return "failed"
        except SlackFailure as failure:
            if failure.kind is FailureKind.PERMANENT:
                return self._dead(row, now, str(failure))
            if failure.kind is FailureKind.TOKEN:
                self._stop_posting(row, now, failure)
                return "halted"
            wait = retry_wait(row.attempts, failure)
            log.warning("outbox row %s: attempt %d failed (%s); again in %s", row.dedupe_key, row.attempts,
                        failure, wait)
            error = str(failure) if failure.maybe_sent else f"{failure} {NOT_SENT}"
            outbox_store.retry_later(self._engine, row, at=now + wait, error=error)
            return "failed"
        outbox_store.delivered(self._engine, row, now, ts=ts, channel=channel)
        if row.action in (Action.POST_CARD, Action.UPDATE_CARD) and row.incident_id is not None:
            self._learn_permalink(row.incident_id)
        return "delivered"

    def _learn_permalink(self, incident_id: int) -> None:
        """Ask Slack once for the card's own link (the workspace's host); on failure the next update asks."""
        with self._engine.connect() as conn:
            where = location_of(conn, incident_id)
        if where is None or where.permalink:
            return
        try:
            link = self._gateway.permalink(where.channel, where.ts)
        except SlackFailure as failure:
            log.warning("no permalink for incident %d's card yet (%s); links use the API host meanwhile",
                        incident_id, failure)
            return
        with self._engine.begin() as conn:
            keep_permalink(conn, incident_id, link)

    def _dead(self, row: Claimed, now: datetime, error: str) -> str:
        log.error("outbox row %d (%s) is a dead letter: %s. Fix the cause, then `bouncecheck outbox retry %d`",
                  row.id, row.dedupe_key, error, row.id, extra={"incident": row.incident_id})
        outbox_store.dead(self._engine, row, now, error=error)
        return "dead"

    def _stop_posting(self, row: Claimed, now: datetime, failure: SlackFailure) -> None:
        if self._halt is None:
            log.error("Slack refuses the bot token (%s): posting stopped; nothing is lost, the messages wait. "
                      "Set a valid token and restart; until then one try every %s", failure.error, TOKEN_RECHECK)
        self._halt = (now + TOKEN_RECHECK, failure.error)
        # Due at once when the token works again; the attempt does not count against the row.
        outbox_store.retry_later(self._engine, row, at=now, error=f"{failure} {NOT_SENT}")

    def _send(self, row: Claimed) -> tuple[str | None, str | None]:
        payload = row.payload
        if row.action is Action.UPDATE_CARD and outbox_store.superseded(self._engine, row):
            return None, None
        if row.action in TOP_LEVEL:
            channel, thread_ts = str(row.channel), None
        elif row.action is Action.POST_REPLY:
            channel, thread_ts = self._parent_of(row)
        else:
            location = card_location(self._engine, row.incident_id) if row.incident_id is not None else None
            if location is None:
                raise _NoCard(f"incident {row.incident_id} has no card in Slack to reply to")
            channel, thread_ts = location
            if row.action is Action.UPDATE_CARD:
                self._gateway.update(channel, thread_ts, payload)
                return thread_ts, channel
        if row.action is Action.UPLOAD:
            self._gateway.upload(channel, thread_ts=thread_ts, content=_render_chart(self._engine, payload),
                                 filename=str(payload["filename"]), title=str(payload["title"]))
            return None, channel
        if _maybe_sent(row) and (found := self._already_posted(row, channel, thread_ts)):
            log.info("outbox row %s was already delivered (ts %s); not sending again", row.dedupe_key, found)
            return found, channel
        posted = self._gateway.post(channel, payload, key=row.dedupe_key, thread_ts=thread_ts,
                                    broadcast=bool(payload.get("reply_broadcast")))
        return posted.ts, posted.channel

    def _parent_of(self, row: Claimed) -> tuple[str, str]:
        parent = outbox_store.parent_state(self._engine, str(row.payload.get("parent", "")))
        if parent is None or parent.dead:
            raise _NoCard(f"the message it replies to is {'a dead letter' if parent else 'not in the outbox'}")
        if parent.ts is None:
            raise _Waiting("waiting for the message it replies to")
        return str(parent.channel or row.channel), parent.ts

    def _already_posted(self, row: Claimed, channel: str, thread_ts: str | None) -> str | None:
        try:
            return self._gateway.find_posted(channel, row.dedupe_key, thread_ts=thread_ts, since=row.created_at)
        except SlackFailure as failure:
            if failure.kind is not FailureKind.PERMANENT:
                raise  # cannot tell: try again later rather than risk a second copy
            log.warning("cannot look up whether %s was already posted (%s); sending it", row.dedupe_key, failure)
            return None


def deliver_outbox(engine: Engine, gateway: SlackGateway, now: datetime, **options: Any) -> DeliveryReport:
    """One delivery run by a sender made for it (tests, one-off tools); a bot keeps one `OutboxDelivery`."""
    return OutboxDelivery(engine, gateway, **options).run(now)


def _maybe_sent(row: Claimed) -> bool:
    """An earlier attempt was claimed and did not end in a sure refusal (it died, or Slack answered 5xx)."""
    return row.attempts > 1 and NOT_SENT not in str(row.last_error or "")


def retry_wait(attempts: int, failure: SlackFailure) -> timedelta:
    """A rate limit: what Slack asked for (Retry-After), at least a second; anything else: the backoff."""
    asked = timedelta(seconds=failure.retry_after or 0)
    if failure.status == 429:
        return max(asked, timedelta(seconds=1)) if failure.retry_after is not None else backoff(attempts)
    return max(asked, backoff(attempts))


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s … up to 10 minutes between delivery attempts of one row."""
    return timedelta(seconds=min(600, 5 * 2 ** max(0, attempts - 1)))


def _render_chart(engine: Engine, spec: Mapping[str, Any]) -> bytes:
    window = timedelta(seconds=float(spec["window_seconds"]))
    series = window_series(engine, str(spec["domain"]), start=datetime.fromisoformat(spec["start"]),
                           end=datetime.fromisoformat(spec["end"]), window=window)
    return bounce_chart(series, domain=str(spec["domain"]), threshold=int(spec["threshold"]), title=str(spec["title"]))


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
