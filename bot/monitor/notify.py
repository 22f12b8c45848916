"""Where incident events go: the `Notifier` interface and the console notifier used by `scan` and `demo`.

The Slack notifier (bot/slack/notifier.py) implements the same interface with a persistent outbox.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol, TextIO

from bot.models import EventKind, Incident, IncidentEvent


class Notifier(Protocol):
    def notify(self, incident: Incident, events: Sequence[IncidentEvent]) -> None:
        """Announce the incident's events (none: only its figures changed; update the card)."""

    def ops(self, text: str) -> None:
        """A notice for the people who run the bot: a job fails, a mailbox cannot be read."""


class ConsoleNotifier:
    """Prints readable text: one block when an incident opens, one line per later event."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._lock = threading.Lock()  # jobs run in several threads

    def notify(self, incident: Incident, events: Sequence[IncidentEvent]) -> None:
        text = "".join(render_event(incident, event) + "\n" for event in events)
        if text:
            self._write(text)

    def ops(self, text: str) -> None:
        self._write(f"[ops] {text}\n")

    def _write(self, text: str) -> None:
        with self._lock:
            self._out.write(text)
            self._out.flush()


def render_event(incident: Incident, event: IncidentEvent) -> str:
    """Plain text for one event: the opening card, or a one-line follow-up."""
    head = f"[{incident.domain} #{incident.id}]"
    data = event.data
    who = event.actor or "someone"
    lines: list[str]
    if event.kind is EventKind.OPENED:
        lines = [f"{head} INCIDENT OPENED at {event.at:%Y-%m-%d %H:%M} UTC: {incident.bounces_in_window:,} "
                 f"bounces in the window (threshold {incident.threshold:,}); likely cause: {incident.cause}"]
        if incident.diagnosis:
            lines += [f"  - {line}" for line in incident.diagnosis.evidence]
            lines += ["  Next steps:", *(f"  {n}. {step}" for n, step in
                                         enumerate(incident.diagnosis.next_steps, 1))]
        if incident.listings:
            lines.append(f"  Listed: {', '.join(incident.listings)}")
        return "\n".join(lines)
    line = {
        EventKind.GREW: f"bounces rose from {data.get('previous')} to {data.get('count')} in the window",
        EventKind.CAUSE_CHANGED: f"likely cause changed from {data.get('previous')} to {data.get('cause')}",
        EventKind.LISTED: f"newly listed: {data.get('listing')}",
        EventKind.DELISTED: f"no longer listed: {data.get('listing')}",
        EventKind.ACKNOWLEDGED: f"acknowledged by {who}",
        EventKind.SNOOZED: f"snoozed by {who} until {data.get('until')}",
        EventKind.RESOLVED: (f"resolved by {who}" if data.get("by_person") else "resolved")
        + f"; peak {incident.peak:,} bounces in the window",
    }[event.kind]
    return f"{head} {line}" + (f". {event.detail}" if event.detail else "")
