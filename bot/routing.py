"""Which channel a domain's alerts go to, and who is reminded (`[[routes]]`), pure.

The card, its thread, its reminders and the domain's digest go to its route; a domain no route
names goes to `[slack] channel`. An exact name wins over a pattern, a longer pattern over a shorter
one ("*.eu.example.com" over "*.example.com"), and among equals the first route in the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.config import RouteSettings, Settings


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    channel: str
    mention: str = ""  # a user group ID the reminders mention
    escalate_after: timedelta | None = None
    repeat_after: timedelta = timedelta(hours=1)


def matches(pattern: str, domain: str) -> int:
    """How specifically `pattern` names `domain`: 0 not at all; exact names beat every pattern."""
    domain = domain.lower().rstrip(".")
    if pattern == domain:
        return 10_000
    if pattern == "*":
        return 1
    if pattern.startswith("*.") and domain.endswith(pattern[1:]):
        return len(pattern)
    return 0


def route_for(domain: str, settings: Settings) -> Route:
    best: tuple[int, RouteSettings] | None = None
    for route in settings.routes:
        score = max(matches(p, domain) for p in route.domains)
        if score and (best is None or score > best[0]):
            best = (score, route)
    if best is None:
        return Route(channel=settings.slack.channel)
    chosen = best[1]
    return Route(channel=chosen.channel, mention=chosen.mention, escalate_after=chosen.escalate_after,
                 repeat_after=chosen.repeat_after)


def channels(settings: Settings) -> list[str]:
    """Every channel some domain's alerts may go to, the default first."""
    return list(dict.fromkeys([settings.slack.channel, *(r.channel for r in settings.routes)]))
