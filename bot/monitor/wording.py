"""Small wording helpers shared by the diagnosis, the incident events and the console notifier; pure."""

from __future__ import annotations

from datetime import timedelta


def span(duration: timedelta) -> str:
    """1 h → 'hour', 2 h → '2 hours', 30 min → '30 minutes', 90 s → '90 seconds'."""
    seconds = round(duration.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return unit if count == 1 else f"{count} {unit}s"
    return "second" if seconds == 1 else f"{seconds} seconds"


def pct(part: int, whole: int) -> str:
    """'87 %' (French-style spacing, as the alerts read)."""
    return f"{round(100 * part / whole) if whole else 0} %"


def and_list(names: list[str]) -> str:
    """['a'] → 'a'; ['a', 'b', 'c'] → 'a, b and c'."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
