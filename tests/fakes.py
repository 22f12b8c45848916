"""Fakes shared by the tests at the top of `tests/`."""

from __future__ import annotations

from collections.abc import Sequence

from bot.models import Incident, IncidentEvent


class Recorder:
    """A Notifier that remembers what it was told."""

    def __init__(self) -> None:
        self.notified: list[tuple[Incident, list[IncidentEvent]]] = []
        self.notices: list[str] = []

    def notify(self, incident: Incident, events: Sequence[IncidentEvent]) -> None:
        self.notified.append((incident, list(events)))

    def ops(self, text: str, *, topic: str = "") -> None:
        self.notices.append(text)
