"""The digest messages of one route channel, pure: a header with the period, one section per domain.

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
    MAX_MESSAGE_CHARS,
    Block,
    Message,
    clip,
    context,
    duration,
    fit,
    header,
    inert,
    message_chars,
    section,
    user,
    when,
)

T = TypeVar("T")

SHOWN = 8  # incidents or listings listed per domain and kind; the rest are counted
DOMAINS_PER_MESSAGE = 15  # a channel with more domains gets its digest in several messages


def digest_messages(digest: Digest, channel_domains: Sequence[str], *, counted_at: datetime,
                    tz: tzinfo = UTC) -> list[Message]:
    """The digest of `channel_domains` (in that order) in as many messages as they need, each "part k of n":
    at most DOMAINS_PER_MESSAGE domains, and no more than Slack's limits hold, so no domain is left out."""
    parts = _parts([digest.of(domain) for domain in dict.fromkeys(channel_domains)], period_name(digest.length))
    return [_message(digest, part, counted_at=counted_at, tz=tz, part=(n, len(parts)))
            for n, part in enumerate(parts, 1)]


def _message(digest: Digest, shown: Sequence[DomainDigest], *, counted_at: datetime, tz: tzinfo,
             part: tuple[int, int]) -> Message:
    """`tz` is the schedule's zone, for the header; `counted_at` is when the store was read."""
    span = period_name(digest.length)
    of = f" (part {part[0]} of {part[1]})" if part[1] > 1 else ""
    blocks: list[Block] = [
        header(f"Bounce digest: {_local(digest.start, tz)} – {_local(digest.end, tz)}{of}"),
        context(f"Bounces from {when(digest.start)} to {when(digest.end)}, against the {span} before; "
                f"counted at {when(counted_at)}"),
    ]
    for domain in shown:
        blocks += _domain_blocks(domain, span)
    total, before = sum(d.failed for d in shown), sum(d.previous for d in shown)
    opened = sum(len(d.opened) for d in shown)
    text = (f"Bounce digest{of}: {total} bounces on {len(shown)} domain{'s' if len(shown) != 1 else ''} "
            f"(previous {span}: {before}), {opened} incident{'s' if opened != 1 else ''} opened")
    return Message(text=text, blocks=fit(blocks))


def _parts(domains: Sequence[DomainDigest], span: str) -> list[list[DomainDigest]]:
    """Domains in runs that each fit one message, beside the header (a few hundred characters)."""
    budget, used = MAX_MESSAGE_CHARS - 1_000, 0
    parts: list[list[DomainDigest]] = [[]]
    for domain in domains:
        size = message_chars(Message(text="", blocks=tuple(_domain_blocks(domain, span))))
        if parts[-1] and (len(parts[-1]) >= DOMAINS_PER_MESSAGE or used + size > budget):
            parts.append([])
            used = 0
        parts[-1].append(domain)
        used += size
    return parts


def _domain_blocks(domain: DomainDigest, span: str) -> list[Block]:
    return [DIVIDER, section(_domain_text(domain, span))]


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
