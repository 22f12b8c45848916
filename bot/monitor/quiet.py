"""Whether a domain is quiet now: a silence someone set, or a maintenance window of the config (pure).

While a domain is quiet its bounces are still counted and its incidents still open and change; only
the Slack posts wait. The quiet that ends last is the one reported (its end is when posting resumes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from bot import schedules
from bot.config import MaintenanceSettings
from bot.routing import matches
from bot.store.silences_store import Silence


class QuietKind(StrEnum):
    SILENCE = "silence"
    MAINTENANCE = "maintenance"


@dataclass(frozen=True, slots=True, kw_only=True)
class Quiet:
    domain: str
    kind: QuietKind
    until: datetime
    by: str  # a Slack user ID, or "config" for a maintenance window
    reason: str


def quiet_for(domain: str, now: datetime, silences: Sequence[Silence],
              maintenance: Sequence[MaintenanceSettings]) -> Quiet | None:
    found = [Quiet(domain=domain, kind=QuietKind.SILENCE, until=s.ends_at, by=s.set_by, reason=s.reason)
             for s in silences if s.domain == domain and s.starts_at <= now < s.ends_at]
    for window in maintenance:
        if any(matches(p, domain) for p in window.domains) and (end := maintenance_end(window, now)):
            found.append(Quiet(domain=domain, kind=QuietKind.MAINTENANCE, until=end, by="config",
                               reason=window.reason or "maintenance window"))
    return max(found, key=lambda q: q.until, default=None)


def maintenance_end(window: MaintenanceSettings, now: datetime) -> datetime | None:
    """When the window open at `now` closes; None when it is not open."""
    tz = schedules.zone(window.timezone)
    if window.weekly:
        weekly = schedules.parse_weekly_window(window.weekly)
        return schedules.window_end(weekly, now, tz) if schedules.in_window(weekly, now, tz) else None
    assert window.start is not None and window.end is not None  # the config's validator saw to it
    start, end = (_aware(moment, window.timezone) for moment in (window.start, window.end))
    return end if start <= now < end else None


def _aware(moment: datetime, zone_name: str) -> datetime:
    """A TOML local date-time is in the window's time zone; one with an offset says its own."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=schedules.zone(zone_name))).astimezone(UTC)


MAX_SILENCE = timedelta(days=30)  # a longer one is surely a typo, and would hide a real problem for long
