"""DSN fields (RFC 3464) over small delivery-status bodies: one table, the blocks each is read into."""

from __future__ import annotations

import pytest

from bot.bounces.message.dsn import parse_delivery_status

Fields = tuple[tuple[str, str], ...]
MX = (("reporting-mta", "dns; mx.example.net"),)
A_UNKNOWN = (("final-recipient", "rfc822; a@example.org"), ("status", "5.1.1"))

CASES: dict[str, tuple[str, Fields, tuple[Fields, ...]]] = {
    "two-recipients": (
        "Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; a@example.org\nStatus: 5.1.1\n\n"
        "Final-Recipient: rfc822; b@example.org\nStatus: 4.2.2\n",
        MX, (A_UNKNOWN, (("final-recipient", "rfc822; b@example.org"), ("status", "4.2.2")))),
    # a blank line inside one recipient's fields: the block without a recipient joins the one before
    "blank-line-inside-a-recipient": (
        "Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; a@example.org\n\nStatus: 5.1.1\n",
        MX, (A_UNKNOWN,)),
    "per-message-in-two-blocks": (
        "Reporting-MTA: dns; mx.example.net\n\nArrival-Date: Tue, 10 Mar 2026\n\n"
        "Final-Recipient: rfc822; a@example.org\nStatus: 5.1.1\n",
        (*MX, ("arrival-date", "Tue, 10 Mar 2026")), (A_UNKNOWN,)),
    "folded-diagnostic": (
        "Original-Recipient: rfc822; a@example.org\nAction: failed\nDiagnostic-Code: smtp; 550 5.1.1\n"
        "    user unknown\n",
        (), ((("original-recipient", "rfc822; a@example.org"), ("action", "failed"),
              ("diagnostic-code", "smtp; 550 5.1.1 user unknown")),)),
    "no-recipient": ("Reporting-MTA: dns; mx.example.net\n", MX, ()),
    "empty": ("", (), ()),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_delivery_status_splits_into_blocks(name: str) -> None:
    text, per_message, per_recipient = CASES[name]
    found = parse_delivery_status(text)
    assert found.per_message.pairs == per_message
    assert tuple(r.pairs for r in found.per_recipient) == per_recipient
    assert not found.cut
