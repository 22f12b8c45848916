"""Incident events for tests: one typed payload per kind, with values a test can override."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.models import (
    Acknowledged,
    BecameFlood,
    Cause,
    CauseChanged,
    Delisted,
    EventData,
    EventKind,
    Grew,
    IncidentEvent,
    IncidentKind,
    Listed,
    Listing,
    Opened,
    Resolved,
    Snoozed,
)

ZEN_LISTING = Listing("192.0.2.10", "zen.spamhaus.org")


def payload(kind: EventKind, *, at: datetime, listing: Listing = ZEN_LISTING, previous: int = 60, count: int = 180,
            threshold: int = 50, by_person: bool = True, flood: bool = False,
            incident_kind: IncidentKind = IncidentKind.FLOOD) -> EventData:
    match kind:
        case EventKind.OPENED:
            return Opened(count=count, threshold=threshold, cause=Cause.BLACKLISTED, listings=(listing,),
                          incident_kind=incident_kind)
        case EventKind.GREW if flood:
            return BecameFlood(previous=previous, count=count, threshold=threshold, cause=Cause.BACKSCATTER,
                               previous_cause=Cause.BLACKLISTED)
        case EventKind.GREW:
            return Grew(previous=previous, count=count)
        case EventKind.CAUSE_CHANGED:
            return CauseChanged(previous=Cause.BLACKLISTED, cause=Cause.BACKSCATTER)
        case EventKind.LISTED:
            return Listed(listing=listing)
        case EventKind.DELISTED:
            return Delisted(listing=listing)
        case EventKind.ACKNOWLEDGED:
            return Acknowledged()
        case EventKind.SNOOZED:
            return Snoozed(until=at + timedelta(hours=1))
        case EventKind.RESOLVED:
            return Resolved(by_person=by_person)
    raise AssertionError(kind)


def event(kind: EventKind, *, at: datetime, incident_id: int = 7, detail: str = "", actor: str | None = None,
          **values: Any) -> IncidentEvent:
    return IncidentEvent(incident_id=incident_id, at=at, data=payload(kind, at=at, **values), detail=detail,
                         actor=actor)
