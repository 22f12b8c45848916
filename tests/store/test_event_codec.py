"""Event payloads survive the store: every kind reads back as written, and rows older versions wrote still read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.models import BecameFlood, Cause, EventKind, Grew, IncidentKind, Listing, Opened
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


def test_a_listing_key_is_split_at_its_last_at_sign() -> None:
    assert Listing.from_key("2001:db8::1@zen.spamhaus.org") == Listing("2001:db8::1", "zen.spamhaus.org")
    assert str(Listing.from_key("example.com@dbl.spamhaus.org")) == "example.com on dbl.spamhaus.org"
    with pytest.raises(ValueError, match="not a listing key"):
        Listing.from_key("zen.spamhaus.org")
