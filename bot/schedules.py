"""Wall-clock times people write in the config: weekly windows and digest schedules (pure).

"sat 22:00-sun 04:00" is a maintenance window that comes back every week; "mon 09:00" or
"daily 08:30" is when a digest is due. Both are read in a named time zone (IANA, "Europe/Berlin"),
so a window keeps its local hours across daylight-saving changes. Used by the config's validators,
the silences and the digest job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_AT = re.compile(r"^\s*([a-z]{3,9})\s+(\d{1,2}):(\d{2})\s*$")


def zone(name: str) -> ZoneInfo:
    """An IANA time zone; ValueError naming it when the system does not know it."""
    try:
        return ZoneInfo(name.strip() or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (an IANA name such as 'Europe/Berlin' or 'UTC')") from None


@dataclass(frozen=True, slots=True)
class WeekTime:
    """A day of the week (0 = Monday, None = every day) and a time of day."""

    day: int | None
    at: time

    def __str__(self) -> str:
        return f"{'daily' if self.day is None else DAYS[self.day]} {self.at:%H:%M}"


def parse_week_time(text: str) -> WeekTime:
    """'mon 09:00', 'Sunday 4:30', 'daily 08:30' → WeekTime; ValueError saying what fits."""
    match = _AT.match(text.lower())
    if not match:
        raise ValueError(f"expected a day and a time such as 'mon 09:00' or 'daily 08:30', got {text!r}")
    word, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3))
    if hours > 23 or minutes > 59:
        raise ValueError(f"{text!r}: no such time of day")
    if word in ("daily", "day", "every"):
        return WeekTime(day=None, at=time(hours, minutes))
    day = next((n for n, name in enumerate(DAYS) if word.startswith(name) and _full_or_short(word, name)), None)
    if day is None:
        raise ValueError(f"{text!r}: {word!r} is not a day (mon … sun, or daily)")
    return WeekTime(day=day, at=time(hours, minutes))


def _full_or_short(word: str, short: str) -> bool:
    full = {"mon": "monday", "tue": "tuesday", "wed": "wednesday", "thu": "thursday", "fri": "friday",
            "sat": "saturday", "sun": "sunday"}[short]
    return word in (short, full)


@dataclass(frozen=True, slots=True)
class WeeklyWindow:
    """From one week time to the next ('sat 22:00-sun 04:00'); a daily one repeats every day."""

    start: WeekTime
    end: WeekTime


def parse_weekly_window(text: str) -> WeeklyWindow:
    start, sep, end = text.partition("-")
    if not sep:
        raise ValueError(f"expected a start and an end such as 'sat 22:00-sun 04:00', got {text!r}")
    first, second = parse_week_time(start), parse_week_time(end)
    if (first.day is None) != (second.day is None):
        raise ValueError(f"{text!r}: both ends daily, or both on a day of the week")
    if first == second:
        raise ValueError(f"{text!r}: the window starts where it ends")
    return WeeklyWindow(start=first, end=second)


def last_occurrence(when: WeekTime, now: datetime, tz: ZoneInfo) -> datetime:
    """The latest moment at or before `now` (UTC) that is `when` in zone `tz`, in UTC."""
    local = now.astimezone(tz)
    for back in range(0, 8):
        day = (local - timedelta(days=back)).date()
        if when.day is not None and day.weekday() != when.day:
            continue
        moment = _moment(day, when, tz)
        if moment <= now:
            return moment
    raise AssertionError("a week time occurs within eight days")


def in_window(window: WeeklyWindow, now: datetime, tz: ZoneInfo) -> bool:
    """Whether `now` is inside the window's latest occurrence (its latest start, and no end since)."""
    started = last_occurrence(window.start, now, tz)
    ended = last_occurrence(window.end, now, tz)
    return ended < started


def window_end(window: WeeklyWindow, now: datetime, tz: ZoneInfo) -> datetime:
    """When the window open at `now` closes (UTC)."""
    started = last_occurrence(window.start, now, tz)
    return next_occurrence(window.end, started, tz)


def next_occurrence(when: WeekTime, after: datetime, tz: ZoneInfo) -> datetime:
    """The first moment strictly after `after` that is `when` in zone `tz`, in UTC."""
    local = after.astimezone(tz)
    for ahead in range(0, 9):
        day = (local + timedelta(days=ahead)).date()
        if when.day is not None and day.weekday() != when.day:
            continue
        moment = _moment(day, when, tz)
        if moment > after:
            return moment
    raise AssertionError("a week time occurs within nine days")


def _moment(day: date, when: WeekTime, tz: ZoneInfo) -> datetime:
    """`when` on `day` in zone `tz`, in UTC, for comparing in UTC: datetimes of one tzinfo compare by wall
    clock, which made 02:30 on a spring-forward day (no such time; read as 03:30) a future moment and the
    fall-back hour's 02:30 not yet passed in its second run. A gap time takes the offset before the change
    (Berlin's 02:30 is 01:30 UTC); a repeated time is its first occurrence."""
    return datetime.combine(day, when.at, tzinfo=tz).astimezone(UTC)
