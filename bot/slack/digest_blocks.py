"""The digest message of one route channel, pure: a header with the period, one section per domain.

Called by bot/slack/digest_post.py. Built from bot/slack/blocks.py's pieces, so text is inert, times
are Slack dates in the reader's zone, and the message stays within Slack's limits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TypeVar

from bot.digest import Digest, DomainDigest, IncidentLine, ListingChange
from bot.models import IncidentKind
from bot.monitor.incidents import resolution_words
from bot.slack.blocks import (
    CAUSE_LABEL,
    DIVIDER,
    Block,
    Message,
    clip,
    context,
    duration,
    fit,
    header,
    inert,
    section,
    user,
    when,
)

T = TypeVar("T")

SHOWN = 8  # incidents or listings listed per domain and kind; the rest are counted


def digest_message(digest: Digest, channel_domains: Sequence[str], *, tz: tzinfo = UTC) -> Message:
    """The digest of `channel_domains` (in that order); `tz` is the schedule's zone, for the header."""
    shown = [digest.of(domain) for domain in dict.fromkeys(channel_domains)]
    span = period_name(digest.length)
    blocks: list[Block] = [
        header(f"Bounce digest: {_local(digest.start, tz)} – {_local(digest.end, tz)}"),
        context(f"Bounces from {when(digest.start)} to {when(digest.end)}, against the {span} before"),
    ]
    for domain in shown:
        blocks += [DIVIDER, section(_domain_text(domain, span))]
    total, before = sum(d.failed for d in shown), sum(d.previous for d in shown)
    opened = sum(len(d.opened) for d in shown)
    text = (f"Bounce digest: {total} bounces on {len(shown)} domain{'s' if len(shown) != 1 else ''} "
            f"(previous {span}: {before}), {opened} incident{'s' if opened != 1 else ''} opened")
    return Message(text=text, blocks=fit(blocks))


def period_name(length: timedelta) -> str:
    """'week', 'day', or the length itself: what "the previous …" says (a week across DST is 167 hours)."""
    if abs(length - timedelta(days=7)) <= timedelta(hours=1):
        return "week"
    if abs(length - timedelta(days=1)) <= timedelta(hours=1):
        return "day"
    return duration(length)


def _local(moment: datetime, tz: tzinfo) -> str:
    """'Mon 2 Mar 09:00 CET': plain text (a header cannot hold Slack dates), in the schedule's zone."""
    local = moment.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b %H:%M} {local.tzname() or ''}".rstrip()


def _domain_text(domain: DomainDigest, span: str) -> str:
    lines = [f"*{inert(domain.domain)}*", _bounces_line(domain, span)]
    if domain.top_reasons:
        lines.append("Top reasons: " + ", ".join(f"{inert(reason)} {n}" for reason, n in domain.top_reasons))
    lines += _listed(f"🔴 Incidents opened ({len(domain.opened)})", domain.opened, _opened_line)
    lines += _listed(f"✅ Incidents resolved ({len(domain.resolved)})", domain.resolved, _resolved_line)
    lines += _listed(f"⛔ Listings seen ({len(domain.listed)})", domain.listed, _listing_line)
    lines += _listed(f"🟢 Listings cleared ({len(domain.delisted)})", domain.delisted, _listing_line)
    if not (domain.opened or domain.resolved or domain.listed or domain.delisted):
        lines.append("No incidents and no listing changes.")
    return "\n".join(lines)


def _bounces_line(domain: DomainDigest, span: str) -> str:
    percent = f", {domain.change / domain.previous:+.0%}" if domain.previous else ""
    arrow = "📈" if domain.change > 0 else "📉" if domain.change < 0 else "➖"
    return (f"{arrow} *{domain.failed}* bounces, previous {span} {domain.previous} "
            f"(change {domain.change:+d}{percent})")


def _listed(title: str, items: Sequence[T], line: Callable[[T], str]) -> list[str]:
    if not items:
        return []
    more = [f"• … and {len(items) - SHOWN} more"] if len(items) > SHOWN else []
    return [f"*{title}*", *(f"• {line(item)}" for item in items[:SHOWN]), *more]


def _incident_name(incident: IncidentLine) -> str:
    what = "listing" if incident.kind is IncidentKind.LISTING else "bounce flood"
    return f"#{incident.id} {what}, likely {inert(CAUSE_LABEL.get(incident.cause, incident.cause))}"


def _opened_line(incident: IncidentLine) -> str:
    return f"{_incident_name(incident)}, opened {when(incident.opened_at)}"


def _resolved_line(incident: IncidentLine) -> str:
    by = f" by {user(incident.resolved_by)}" if incident.resolved_by else " automatically"
    at = f" {when(incident.resolved_at)}" if incident.resolved_at else ""
    said = resolution_words(incident.resolution, incident.cause) if incident.resolution else ""
    outcome = f": {inert(said)}" if said else ""
    note = f" — “{inert(clip(incident.resolution_note, 300))}”" if incident.resolution_note else ""
    return f"{_incident_name(incident)}, resolved{by}{at}{outcome}{note}"


def _listing_line(change: ListingChange) -> str:
    listing = change.listing
    return f"{inert(listing.target)} on {inert(listing.zone)}, {when(change.at)} (incident #{change.incident_id})"
