"""Event payloads survive the store: every kind reads back as written, and rows older versions wrote still read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.models import BecameFlood, Cause, EventKind, Grew, IncidentKind, Listing, Opened, ResolutionOutcome, Resolved
from bot.store.event_codec import from_json, to_json
from tests.events import payload

AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("flood", [False, True], ids=["plain", "became-flood"])
@pytest.mark.parametrize("kind", list(EventKind))
def test_every_payload_reads_back_as_written(kind: EventKind, flood: bool) -> None:
    data = payload(kind, at=AT, flood=flood, listing=Listing("2001:db8::1", "zen.spamhaus.org"))
    assert from_json(kind, to_json(data), at=AT) == data


def test_rows_of_older_versions_read_with_the_meaning_they_had() -> None:
    assert from_json(EventKind.OPENED, {"count": 80, "threshold": 50, "cause": "backscatter"}, at=AT) == Opened(
        count=80, threshold=50, cause=Cause.BACKSCATTER, listings=(), incident_kind=IncidentKind.FLOOD)
    assert from_json(EventKind.GREW, {"from": 60, "count": 200}, at=AT) == Grew(previous=60, count=200)
    assert from_json(EventKind.GREW, {"previous": 0, "count": 60, "threshold": 50, "flood": True,
                                      "cause": "backscatter", "previous_cause": "blacklisted"}, at=AT) == BecameFlood(
        previous=0, count=60, threshold=50, cause=Cause.BACKSCATTER, previous_cause=Cause.BLACKLISTED)


@pytest.mark.parametrize("data", [
    Resolved(by_person=True, outcome=ResolutionOutcome.FALSE_ALARM, note="relay misconfigured\nfixed"),
    Resolved(by_person=True, outcome=ResolutionOutcome.CONFIRMED),
    Resolved(by_person=False),
], ids=["dialog-with-note", "dialog-without-note", "automatic"])
def test_a_resolution_reads_back_with_what_the_dialog_said(data: Resolved) -> None:
    assert from_json(EventKind.RESOLVED, to_json(data), at=AT) == data


def test_a_resolved_row_of_before_the_dialog_reads_as_a_resolve_that_said_nothing() -> None:
    assert to_json(Resolved(by_person=False)) == {"by_person": False}, "an automatic resolve keeps the old shape"
    assert from_json(EventKind.RESOLVED, {"by_person": True}, at=AT) == Resolved(by_person=True, outcome=None, note="")
    assert from_json(EventKind.RESOLVED, None, at=AT) == Resolved(by_person=False)
    # a later version's choice this one does not know: nothing said rather than something wrong
    assert from_json(EventKind.RESOLVED, {"by_person": True, "outcome": "duplicate", "note": "x"}, at=AT) == Resolved(
        by_person=True, note="x")


def test_a_listing_key_is_split_at_its_last_at_sign() -> None:
    assert Listing.from_key("2001:db8::1@zen.spamhaus.org") == Listing("2001:db8::1", "zen.spamhaus.org")
    assert str(Listing.from_key("example.com@dbl.spamhaus.org")) == "example.com on dbl.spamhaus.org"
    with pytest.raises(ValueError, match="not a listing key"):
        Listing.from_key("zen.spamhaus.org")
