"""Small wording helpers shared by the diagnosis, the incident events and the console notifier; pure."""

from __future__ import annotations

from datetime import timedelta

from bot.models import SentVolume


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


def share(part: float) -> str:
    """0.104 → '10.4 %', 0.004 → '0.4 %': a rate, one decimal."""
    return f"{100 * part:.1f} %"


def rate_said(volume: SentVolume) -> str:
    """'10.0 % of 300 sent (alert at 5.0 %)': our own bounce rate as every surface says it."""
    counted = f" by {and_list(list(volume.sources))}" if volume.sources else ""
    if volume.rate is None:
        return f"none sent in the window{counted}: judged by the count"
    judged = "" if volume.judged else f"; not judged below {volume.min_sent:,} sent: judged by the count"
    return f"{share(volume.rate)} of {volume.sent:,} sent{counted} (alert at {share(volume.alert_rate)}{judged})"


def others_said(volume: SentVolume) -> str:
    """'the other 275 bounces are backscatter or of unknown origin', or '' when there are none."""
    if not volume.other:
        return ""
    verb = "s are" if volume.other != 1 else " is"
    return f"the other {volume.other:,} bounce{verb} backscatter or of unknown origin"
