"""Incident event payloads to and from the JSON of `incident_events.data`; pure.

The JSON keeps the shape older versions wrote (listings as "192.0.2.10@zen.spamhaus.org", a
became-a-flood "grew" with `flood: true`, a "resolved" without the dialog's `outcome` and `note`),
so stored history reads back as the same events.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, assert_never

from bot.models import (
    Acknowledged,
    BecameFlood,
    Cause,
    CauseChanged,
    Delisted,
    EventData,
    EventKind,
    Grew,
    IncidentKind,
    Listed,
    Listing,
    Opened,
    ResolutionOutcome,
    Resolved,
    SentVolume,
    Snoozed,
)


def to_json(data: EventData) -> dict[str, Any]:
    match data:
        case Opened():
            opened: dict[str, Any] = {
                "count": data.count, "threshold": data.threshold, "cause": data.cause.value,
                "listings": [listing.key for listing in data.listings], "incident_kind": data.incident_kind.value}
            if data.volume is not None:  # judged by rate: older events have no such key
                opened["volume"] = volume_json(data.volume)
            return opened
        case Grew():
            return {"previous": data.previous, "count": data.count}
        case BecameFlood():
            return {"previous": data.previous, "count": data.count, "threshold": data.threshold, "flood": True,
                    "cause": data.cause.value, "previous_cause": data.previous_cause.value}
        case CauseChanged():
            return {"previous": data.previous.value, "cause": data.cause.value}
        case Listed() | Delisted():
            return {"listing": data.listing.key}
        case Acknowledged():
            return {}
        case Snoozed():
            return {"until": data.until.isoformat()}
        case Resolved():
            resolved: dict[str, Any] = {"by_person": data.by_person}
            if data.outcome:  # only what the Resolve dialog said: an automatic resolve keeps the old shape
                resolved["outcome"] = data.outcome.value
            if data.note:
                resolved["note"] = data.note
            return resolved
        case _:
            assert_never(data)


def from_json(kind: EventKind, raw: dict[str, Any] | None, *, at: datetime) -> EventData:
    """The payload of a stored event; what an old row lacks gets the value it meant (0, a flood, …)."""
    raw = raw or {}
    match kind:
        case EventKind.OPENED:
            return Opened(count=int(raw.get("count", 0)), threshold=int(raw.get("threshold", 0)),
                          cause=_cause(raw.get("cause")),
                          listings=tuple(Listing.from_key(str(k)) for k in raw.get("listings") or ()),
                          incident_kind=IncidentKind(raw.get("incident_kind") or IncidentKind.FLOOD),
                          volume=volume_of(raw.get("volume")))
        case EventKind.GREW if raw.get("flood"):
            return BecameFlood(previous=int(raw.get("previous", 0)), count=int(raw.get("count", 0)),
                               threshold=int(raw.get("threshold", 0)), cause=_cause(raw.get("cause")),
                               previous_cause=_cause(raw.get("previous_cause")))
        case EventKind.GREW:
            return Grew(previous=int(raw.get("previous", raw.get("from", 0)) or 0), count=int(raw.get("count", 0)))
        case EventKind.CAUSE_CHANGED:
            return CauseChanged(previous=_cause(raw.get("previous")), cause=_cause(raw.get("cause")))
        case EventKind.LISTED:
            return Listed(listing=Listing.from_key(str(raw["listing"])))
        case EventKind.DELISTED:
            return Delisted(listing=Listing.from_key(str(raw["listing"])))
        case EventKind.ACKNOWLEDGED:
            return Acknowledged()
        case EventKind.SNOOZED:
            return Snoozed(until=datetime.fromisoformat(raw["until"]) if raw.get("until") else at)
        case EventKind.RESOLVED:
            return Resolved(by_person=bool(raw.get("by_person")), outcome=outcome_of(raw.get("outcome")),
                            note=str(raw.get("note") or ""))
        case _:
            assert_never(kind)


def outcome_of(value: object) -> ResolutionOutcome | None:
    """A stored resolution outcome; None when there is none (an old row, an automatic resolve) or it is unknown."""
    try:
        return ResolutionOutcome(str(value)) if value else None
    except ValueError:  # a row from a version with other choices: say nothing rather than something wrong
        return None


def _cause(value: object) -> Cause:
    try:
        return Cause(str(value))
    except ValueError:  # a row from a version with another cause list: say nothing precise
        return Cause.MIXED


def volume_json(volume: SentVolume | None) -> dict[str, Any] | None:
    if volume is None:
        return None
    return {"sent": volume.sent, "own": volume.own, "other": volume.other, "alert_rate": volume.alert_rate,
            "min_sent": volume.min_sent, "sources": list(volume.sources),
            "top_senders": [list(entry) for entry in volume.top_senders]}


def volume_of(raw: Any) -> SentVolume | None:
    """A stored SentVolume; None for what is missing or not one (an older row)."""
    if not isinstance(raw, dict):
        return None
    try:
        return SentVolume(sent=int(raw["sent"]), own=int(raw["own"]), other=int(raw["other"]),
                          alert_rate=float(raw["alert_rate"]), min_sent=int(raw["min_sent"]),
                          sources=tuple(str(s) for s in raw.get("sources") or ()),
                          top_senders=tuple((str(a), int(n), float(u)) for a, n, u in raw.get("top_senders") or ()))
    except (KeyError, TypeError, ValueError):
        return None
