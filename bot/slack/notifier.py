"""The policy that turns incident events into Slack messages: which rows go to the outbox, never Slack itself.

    monitor ──notify(incident, events)──► SlackNotifier ──rows──► outbox (bot/store/outbox_store.py)
                                                                     └──► delivery (bot/slack/delivery.py)

A card, then one thread reply per event (the quiet ones held back while snoozed), a chart at the
opening and the resolution, and the card updated in place; each with a dedupe key, so an event
evaluated twice (a retry, a second instance) is queued once. While a domain is silenced or in
maintenance only the card's update is queued (editing a card in place posts nothing).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from bot.config import DNSSettings
from bot.models import CauseChanged, Delisted, EventKind, Grew, Incident, IncidentEvent, IncidentState, Listed, Listing
from bot.monitor.quiet import Quiet
from bot.reputation.zones import build_catalogue
from bot.slack import blocks, chart, oncall_blocks
from bot.store.outbox_store import Action, OutboxRow, enqueue, queued

log = logging.getLogger(__name__)

# While snoozed, rate news stays out of the thread. A new listing or delisting, a listing incident
# becoming a flood, people's actions and the resolution still go in (the state machine's snooze rule).
QUIET_WHEN_SNOOZED = (Grew, CauseChanged)

# listings → where to ask for delisting
DelistUrls = Callable[[Iterable[Listing]], Mapping[Listing, str]]


def _no_delist_urls(_listings: Iterable[Listing]) -> Mapping[Listing, str]:
    return {}


def catalogue_delist_urls(dns: DNSSettings) -> DelistUrls:
    """Delist links from the reputation zone catalogue (with the user's `[dns] zones` overrides)."""
    zones = {zone.zone: zone for zone in build_catalogue(dns)}

    def urls(listings: Iterable[Listing]) -> Mapping[Listing, str]:
        return {listing: zone.delist_for(listing.target) for listing in listings
                if (zone := zones.get(listing.zone)) is not None and zone.delist_url}

    return urls


class SlackNotifier:
    """The monitor's Notifier for Slack: turns incident events into outbox rows, never calls Slack itself."""

    def __init__(
        self,
        engine: Engine,
        *,
        channel: str,
        window: timedelta,
        ops_channel: str = "",  # "": the alert channel
        clock: Callable[[], datetime],
        delist_urls: DelistUrls = _no_delist_urls,
        charts: bool | None = None,  # None: when matplotlib is installed (bouncecheck[charts])
        on_enqueue: Callable[[], None] | None = None,
        channel_for: Callable[[str], str] | None = None,  # a domain's route ([[routes]]); None: `channel`
        quiet: Callable[[str, datetime], Quiet | None] | None = None,  # silences and maintenance windows
    ) -> None:
        self._engine = engine
        self._channel = channel
        self._ops_channel = ops_channel or channel
        self._window = window
        self._clock = clock
        self._delist_urls = delist_urls
        self._charts = chart.available() if charts is None else charts
        self._say_no_chart = charts is None and not self._charts
        self._on_enqueue = on_enqueue
        self._channel_for = channel_for or (lambda _domain: channel)
        self._quiet = quiet

    def notify(self, incident: Incident, events: Sequence[IncidentEvent]) -> None:
        now = self._clock()
        urls = self._delist_urls([*incident.listings, *(e.data.listing for e in events
                                                         if isinstance(e.data, Listed | Delisted))])
        # A quiet domain posts nothing the bot decided on its own; what a person did (a click) still shows.
        # A card already out is still edited in place (that posts nothing), so it never shows an incident
        # as it was when the quiet began: resolved since, or grown.
        quiet = self._quiet(incident.domain, now) if self._quiet else None
        if quiet is not None and not any(event.actor for event in events):
            log.info("incident %d: %s until %s, nothing posted", incident.id, quiet.kind, quiet.until)
            self._update_card(incident, now, urls, quiet)
            return
        card = self._card(incident, now, urls, quiet)
        rows = [
            OutboxRow(
                dedupe_key=f"incident:{incident.id}:card",
                incident_id=incident.id,
                action=Action.POST_CARD,
                channel=self._channel_for(incident.domain),
                payload=card,
            )
        ]
        for event in events:
            rows += self._event_rows(incident, event, now, urls)
        rows.append(self._update_row(incident, card, now))
        inserted = self._enqueue(rows)
        log.debug("incident %d: %d event(s), %d outbox row(s) queued", incident.id, len(events), inserted)

    def refresh_card(self, incident: Incident) -> None:
        """The card edited in place, quiet or not (a silence was set, lifted or is over)."""
        now = self._clock()
        quiet = self._quiet(incident.domain, now) if self._quiet else None
        self._update_card(incident, now, self._delist_urls(list(incident.listings)), quiet)

    def _update_card(self, incident: Incident, now: datetime, urls: Mapping[Listing, str], quiet: Quiet | None) -> None:
        """Only once the card is posted or its post is queued: an update never stands in for the card."""
        if queued(self._engine, f"incident:{incident.id}:card"):
            self._enqueue([self._update_row(incident, self._card(incident, now, urls, quiet), now)])

    @staticmethod
    def _update_row(incident: Incident, card: dict[str, Any], now: datetime) -> OutboxRow:
        return OutboxRow(dedupe_key=f"incident:{incident.id}:update:{_digest(card)}:{now.isoformat()}",
                         incident_id=incident.id, action=Action.UPDATE_CARD, channel=None, payload=card)

    @staticmethod
    def _card(incident: Incident, now: datetime, urls: Mapping[Listing, str], quiet: Quiet | None) -> dict[str, Any]:
        card = blocks.incident_card(incident, now=now, delist_urls=urls).payload()
        if quiet is not None and incident.state is not IncidentState.RESOLVED:
            # above the buttons: who made it quiet, why, until when
            where = card["attachments"][0]["blocks"] if card.get("attachments") else card["blocks"]
            at = next((n for n, block in enumerate(where) if block.get("type") == "actions"), len(where))
            where.insert(at, blocks.context(oncall_blocks.quiet_line(quiet)))
        return card

    def remind(self, incident: Incident, step: int, message: blocks.Message) -> None:
        """Escalation step `step` of an unacknowledged incident, in its thread, once (its key says the step)."""
        self.post_in_thread(incident, message, key=f"remind:{step}")

    def post_in_thread(self, incident: Incident, message: blocks.Message, *, key: str) -> None:
        """A reply in the incident's thread that is not an incident event (a recheck's answer)."""
        self._enqueue(
            [
                OutboxRow(
                    dedupe_key=f"incident:{incident.id}:{key}",
                    incident_id=incident.id,
                    action=Action.POST_THREAD,
                    channel=None,
                    payload=message.payload(),
                )
            ]
        )


    def _enqueue(self, rows: Sequence[OutboxRow]) -> int:
        inserted = enqueue(self._engine, rows, self._clock())
        if inserted and self._on_enqueue is not None:
            self._on_enqueue()
        return inserted

    def ops(self, text: str, *, topic: str = "") -> None:
        """A notice for the people who run the bot, in the ops channel, kept out of the incident cards:
        a topic's (a job's) first notice of the UTC day is a top-level message, the day's others
        reply in its thread; the same text at most once an hour."""
        now = self._clock()
        payload = blocks.notice(f"🛠️ {blocks.inert(text)}").payload()
        parent = f"ops:{topic or 'bot'}:{now:%Y%m%d}"
        if self._enqueue([OutboxRow(dedupe_key=parent, incident_id=None, action=Action.POST_MESSAGE,
                                    channel=self._ops_channel, payload=payload)]):
            return
        key = f"{parent}:{hashlib.sha256(text.encode()).hexdigest()[:16]}:{now:%H}"
        self._enqueue([OutboxRow(dedupe_key=key, incident_id=None, action=Action.POST_REPLY,
                                 channel=self._ops_channel, payload={**payload, "parent": parent})])

    def _event_rows(
        self, incident: Incident, event: IncidentEvent, now: datetime, urls: Mapping[Listing, str]
    ) -> list[OutboxRow]:
        snoozed = (
            incident.state is IncidentState.SNOOZED
            and incident.snoozed_until is not None
            and incident.snoozed_until > now
        )
        if snoozed and isinstance(event.data, QUIET_WHEN_SNOOZED):
            return []
        key = f"incident:{incident.id}:event:{event.kind}:{event.at.isoformat()}:{event.actor or ''}"
        rows = []
        message = blocks.followup(event, incident, delist_urls=urls)
        if message is not None:
            payload = message.payload()
            payload["reply_broadcast"] = event.kind is EventKind.RESOLVED
            rows.append(OutboxRow(dedupe_key=key, incident_id=incident.id, action=Action.POST_THREAD, channel=None,
                                  payload=payload))
        if self._say_no_chart and event.kind is EventKind.OPENED:
            rows.append(OutboxRow(dedupe_key=f"{key}:no-chart", incident_id=incident.id, action=Action.POST_THREAD,
                                  channel=None, payload=blocks.notice(
                                      f"📊 A chart of the bounces would be here: this install has no matplotlib "
                                      f"(`{chart.INSTALL_HINT}`).").payload()))
        if self._charts and event.kind in (EventKind.OPENED, EventKind.RESOLVED):
            rows.append(
                OutboxRow(
                    dedupe_key=f"{key}:chart",
                    incident_id=incident.id,
                    action=Action.UPLOAD,
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
