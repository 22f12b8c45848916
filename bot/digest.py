"""The digest's numbers: a period's bounces, incidents and listings per domain, read from the store.

`period_of` says which period the latest `[digest] schedule` slot closes; `read_digest` reads it, with
the same definition of a counted bounce as every other surface (bot/store/rates_queries.py, through
`window_groups`) and the reasons tallied as bot/store/figures.py tallies them. Rendering is
bot/slack/digest_blocks.py, queueing bot/slack/digest_post.py.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import Connection, Engine, and_, or_, select

from bot import schedules
from bot.config import DigestSettings
from bot.models import (
    Cause,
    Delisted,
    EventData,
    EventKind,
    IncidentKind,
    Listed,
    Listing,
    Opened,
    ResolutionOutcome,
)
from bot.store import event_codec
from bot.store.figures import DomainFigures, Tally
from bot.store.rates_queries import utc, utc_or_none, window_groups
from bot.store.schema import incident_events, incidents

T = TypeVar("T")

TOP_REASONS = 5
_JUST_BEFORE = timedelta(microseconds=1)
_PerDomain = defaultdict[str, list[T]]


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentLine:
    """An incident as the digest names it."""

    id: int
    domain: str
    kind: IncidentKind
    cause: Cause
    opened_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: ResolutionOutcome | None
    resolution_note: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ListingChange:
    """A listing an incident saw appear (at its opening or later) or clear."""

    listing: Listing
    at: datetime
    incident_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainDigest:
    domain: str
    failed: int = 0  # failed recipients in the period: the count every surface shows
    previous: int = 0  # the same, in the period of the same length before it
    opened: tuple[IncidentLine, ...] = ()
    resolved: tuple[IncidentLine, ...] = ()
    listed: tuple[ListingChange, ...] = ()
    delisted: tuple[ListingChange, ...] = ()
    top_reasons: Tally = ()  # of the period's failed bounces, largest first

    @property
    def change(self) -> int:
        return self.failed - self.previous

    @property
    def quiet(self) -> bool:
        """Nothing at all to say for the domain."""
        return not (self.failed or self.previous or self.opened or self.resolved or self.listed or self.delisted)


@dataclass(frozen=True, slots=True, kw_only=True)
class Digest:
    start: datetime  # the previous slot
    end: datetime  # the slot the digest is for
    domains: tuple[DomainDigest, ...]

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    @property
    def previous_start(self) -> datetime:
        return self.start - self.length

    def of(self, domain: str) -> DomainDigest:
        return next((d for d in self.domains if d.domain == domain), DomainDigest(domain=domain))


def period_of(settings: DigestSettings, now: datetime) -> tuple[datetime, datetime] | None:
    """(previous slot, latest slot at or before `now`), in UTC; None when no digest is scheduled."""
    if not settings.schedule:
        return None
    when, tz = schedules.parse_week_time(settings.schedule), schedules.zone(settings.timezone)
    end = schedules.last_occurrence(when, now, tz)
    return schedules.last_occurrence(when, end - _JUST_BEFORE, tz), end


def read_digest(engine: Engine, domains: Sequence[str], start: datetime, end: datetime) -> Digest:
    """Every listed domain's digest of [start, end), against [start - (end - start), start)."""
    domains = list(dict.fromkeys(domains))
    if not domains:
        return Digest(start=start, end=end, domains=())
    with engine.connect() as conn:
        current = window_groups(conn, domains, start, end)
        previous = window_groups(conn, domains, start - (end - start), start)
        opened, resolved = _incidents(conn, domains, start, end)
        listed, delisted = _listing_changes(conn, domains, start, end)
    out = []
    for domain in domains:
        groups = tuple(current.get(domain, ()))
        figures = DomainFigures(domain=domain, start=start, end=end, failed=sum(g.count for g in groups),
                                groups=groups)
        out.append(DomainDigest(
            domain=domain, failed=figures.failed, previous=sum(g.count for g in previous.get(domain, ())),
            opened=tuple(opened[domain]), resolved=tuple(resolved[domain]), listed=tuple(listed[domain]),
            delisted=tuple(delisted[domain]), top_reasons=figures.top_reasons[:TOP_REASONS]))
    return Digest(start=start, end=end, domains=tuple(out))


def _incidents(conn: Connection, domains: Sequence[str], start: datetime,
               end: datetime) -> tuple[_PerDomain[IncidentLine], _PerDomain[IncidentLine]]:
    """Incidents opened in the period, and those resolved in it, per domain, oldest first."""
    opened_in = and_(incidents.c.opened_at >= utc(start), incidents.c.opened_at < utc(end))
    resolved_in = and_(incidents.c.resolved_at >= utc(start), incidents.c.resolved_at < utc(end))
    query = (select(incidents.c.id, incidents.c.domain, incidents.c.kind, incidents.c.cause, incidents.c.opened_at,
                    incidents.c.resolved_at, incidents.c.resolved_by, incidents.c.resolution,
                    incidents.c.resolution_note)
             .where(incidents.c.domain.in_(domains), or_(opened_in, resolved_in))
             .order_by(incidents.c.opened_at, incidents.c.id))
    opened: _PerDomain[IncidentLine] = defaultdict(list)
    resolved: _PerDomain[IncidentLine] = defaultdict(list)
    for row in conn.execute(query):
        line = IncidentLine(id=int(row.id), domain=str(row.domain), kind=IncidentKind(row.kind or IncidentKind.FLOOD),
                            cause=Cause(row.cause), opened_at=utc(row.opened_at),
                            resolved_at=utc_or_none(row.resolved_at), resolved_by=row.resolved_by,
                            resolution=_outcome(row.resolution), resolution_note=str(row.resolution_note or ""))
        if start <= line.opened_at < end:
            opened[line.domain].append(line)
        if line.resolved_at is not None and start <= line.resolved_at < end:
            resolved[line.domain].append(line)
    return opened, resolved


def _listing_changes(conn: Connection, domains: Sequence[str], start: datetime,
                     end: datetime) -> tuple[_PerDomain[ListingChange], _PerDomain[ListingChange]]:
    """Listings seen and cleared in the period, per domain, in the order the incidents saw them.

    Seen: a Listed event, or a listing an incident opened with (a listing incident has no Listed
    event for what opened it). Cleared: a Delisted event.
    """
    kinds = (EventKind.OPENED.value, EventKind.LISTED.value, EventKind.DELISTED.value)
    query = (select(incidents.c.domain, incident_events.c.incident_id, incident_events.c.kind,
                    incident_events.c.at, incident_events.c.data)
             .join(incidents, incidents.c.id == incident_events.c.incident_id)
             .where(incidents.c.domain.in_(domains), incident_events.c.kind.in_(kinds),
                    incident_events.c.at >= utc(start), incident_events.c.at < utc(end))
             .order_by(incident_events.c.at, incident_events.c.id))
    seen: _PerDomain[ListingChange] = defaultdict(list)
    cleared: _PerDomain[ListingChange] = defaultdict(list)
    for domain, incident_id, kind, at, raw in conn.execute(query):
        moment = utc(at)
        change = _listings_of(event_codec.from_json(EventKind(kind), raw, at=moment))
        if change is not None:
            into = seen if change[0] else cleared
            into[str(domain)] += [ListingChange(listing=listing, at=moment, incident_id=int(incident_id))
                                  for listing in change[1]]
    return seen, cleared


def _listings_of(data: EventData) -> tuple[bool, tuple[Listing, ...]] | None:
    """(seen?, listings) of an event that says a listing appeared or cleared; None for other events."""
    match data:
        case Opened():
            return True, data.listings
        case Listed():
            return True, (data.listing,)
        case Delisted():
            return False, (data.listing,)
        case _:
            return None


def _outcome(value: object) -> ResolutionOutcome | None:
    try:
        return ResolutionOutcome(str(value)) if value else None
    except ValueError:  # written by a version with other outcomes: say none rather than guess
        return None
