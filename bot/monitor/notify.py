"""Where incident events go: the `Notifier` interface and the console notifier used by `scan` and `demo`.

The Slack notifier (bot/slack/notifier.py) implements the same interface with a persistent outbox.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol, TextIO, assert_never

from bot.models import (
    Acknowledged,
    BecameFlood,
    CauseChanged,
    Delisted,
    Grew,
    Incident,
    IncidentEvent,
    Listed,
    Opened,
    Resolved,
    Snoozed,
)
from bot.monitor.incidents import resolution_words


class Notifier(Protocol):
    def notify(self, incident: Incident, events: Sequence[IncidentEvent]) -> None:
        """Announce the incident's events (none: only its figures changed; update the card)."""

    def ops(self, text: str, *, topic: str = "") -> None:
        """A notice for the people who run the bot: a job fails, a mailbox cannot be read. `topic` (the
        job) groups the notices of one cause, so that Slack keeps them in one thread a day."""


class ConsoleNotifier:
    """Prints readable text: one block when an incident opens, one line per later event."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._lock = threading.Lock()  # jobs run in several threads

    def notify(self, incident: Incident, events: Sequence[IncidentEvent]) -> None:
        text = "".join(render_event(incident, event) + "\n" for event in events)
        if text:
            self._write(text)

    def ops(self, text: str, *, topic: str = "") -> None:
        self._write(f"[ops] {text}\n")

    def _write(self, text: str) -> None:
        with self._lock:
            self._out.write(text)
            self._out.flush()


def render_event(incident: Incident, event: IncidentEvent) -> str:
    """Plain text for one event: the opening card, or a one-line follow-up."""
    head = f"[{incident.domain} #{incident.id}]"
    who = event.actor or "someone"
    line: str
    match event.data:
        case Opened():
            lines = [f"{head} INCIDENT OPENED at {event.at:%Y-%m-%d %H:%M} UTC: {incident.bounces_in_window:,} "
                     f"bounces in the window (threshold {incident.threshold:,}); likely cause: {incident.cause}"]
            if incident.diagnosis:
                lines += [f"  - {line}" for line in incident.diagnosis.evidence]
                lines += ["  Next steps:", *(f"  {n}. {step}" for n, step in
                                             enumerate(incident.diagnosis.next_steps, 1))]
            if incident.listings:
                lines.append(f"  Listed: {', '.join(map(str, incident.listings))}")
            return "\n".join(lines)
        case BecameFlood(previous=previous, count=count, cause=cause):
            line = f"now a bounce flood: {count} bounces in the window (was {previous}); likely cause: {cause}"
        case Grew(previous=previous, count=count):
            line = f"bounces rose from {previous} to {count} in the window"
        case CauseChanged(previous=previous, cause=cause):
            line = f"likely cause changed from {previous} to {cause}"
        case Listed(listing=listing):
            line = f"newly listed: {listing}"
        case Delisted(listing=listing):
            line = f"no longer listed: {listing}"
        case Acknowledged():
            line = f"acknowledged by {who}"
        case Snoozed(until=until):
            line = f"snoozed by {who} until {until:%Y-%m-%d %H:%M} UTC"
        case Resolved(by_person=by_person, outcome=outcome, note=note):
            line = (f"resolved by {who}" if by_person else "resolved") + \
                (f": {resolution_words(outcome, incident.cause)}" if outcome else "") + \
                f"; peak {incident.peak:,} bounces in the window" + (f"; note: {_one_line(note)}" if note else "")
        case _:
            assert_never(event.data)
    return f"{head} {line}" + (f". {event.detail}" if event.detail else "")


# A person's note on one line, without the controls a terminal would act on (ESC sequences, bells, bidi).
_CONTROLS = dict.fromkeys([*range(0x20), 0x7F, *range(0x80, 0xA0), 0x061C, 0x200E, 0x200F,
                           *range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def _one_line(text: str) -> str:
    return " ".join(text.split()).translate(_CONTROLS)
