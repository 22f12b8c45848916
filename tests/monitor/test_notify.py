"""The console notifier prints an opened incident as a readable block and later events as one line each."""

from __future__ import annotations

import io
from datetime import timedelta

from bot.models import Cause, Diagnosis, EventKind, Incident, IncidentEvent, IncidentState
from bot.monitor.notify import ConsoleNotifier
from tests.events import event
from tests.monitor.conftest import DOMAIN, T0

INCIDENT = Incident(
    id=3, domain=DOMAIN, state=IncidentState.OPEN, cause=Cause.BACKSCATTER, opened_at=T0, updated_at=T0,
    bounces_in_window=412, threshold=50, peak=412,
    diagnosis=Diagnosis(cause=Cause.BACKSCATTER, evidence=("87 % of the 412 bounced messages were forged.",),
                        next_steps=("Move DMARC to p=quarantine.", "Then to p=reject.")))


def printed(*events: IncidentEvent) -> str:
    out = io.StringIO()
    ConsoleNotifier(out).notify(INCIDENT, events)
    return out.getvalue()


def test_an_opened_incident_prints_its_numbers_evidence_and_steps() -> None:
    assert printed(event(EventKind.OPENED, at=T0, incident_id=3)) == (
        "[example.com #3] INCIDENT OPENED at 2026-03-02 09:00 UTC: 412 bounces in the window (threshold 50); "
        "likely cause: backscatter\n"
        "  - 87 % of the 412 bounced messages were forged.\n"
        "  Next steps:\n"
        "  1. Move DMARC to p=quarantine.\n"
        "  2. Then to p=reject.\n")


def test_follow_ups_print_one_line_each_and_nothing_prints_nothing() -> None:
    later = T0 + timedelta(minutes=20)
    assert printed(
        event(EventKind.GREW, at=later, incident_id=3, detail="Top reasons: userunknown 900.", previous=412, count=900),
        event(EventKind.ACKNOWLEDGED, at=later, incident_id=3, actor="U123"),
        event(EventKind.LISTED, at=later, incident_id=3),
    ) == ("[example.com #3] bounces rose from 412 to 900 in the window. Top reasons: userunknown 900.\n"
          "[example.com #3] acknowledged by U123\n"
          "[example.com #3] newly listed: 192.0.2.10 on zen.spamhaus.org\n")
    assert printed() == ""


def test_ops_notices_are_marked() -> None:
    out = io.StringIO()
    ConsoleNotifier(out).ops("The scan job failed.")
    assert out.getvalue() == "[ops] The scan job failed.\n"
