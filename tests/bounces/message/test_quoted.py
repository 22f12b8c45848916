"""Quoted-original reading over small bounce texts: one table, the header block each quotes."""

from __future__ import annotations

import pytest

from bot.bounces.message.quoted import quoted_header_block

CASES: dict[str, tuple[str, str]] = {
    "quoted-with-marks": ("The original:\n\n> From: sender@example.com\n> Subject: Hello\n"
                          "> Message-ID: <m-1@example.com>\n\nbye",
                          "From: sender@example.com\nSubject: Hello\nMessage-ID: <m-1@example.com>"),
    "piped": ("| Return-Path: <s@example.com>\n| To: k@example.org\n",
              "Return-Path: <s@example.com>\nTo: k@example.org"),
    "continuation-joined": ("Received: from mail.example.com\n\tby mx.example.org\nMessage-ID: <m-2@example.com>\n",
                            "Received: from mail.example.com\n by mx.example.org\nMessage-ID: <m-2@example.com>"),
    # a lone field, or fields that could be anyone's (To, Date), are not a quoted original
    "one-marker-only": ("Subject: Hello\n\nno more\n", ""),
    "no-strong-field": ("To: a@example.org\nDate: Tue, 10 Mar 2026\n", ""),
    "after-prose-and-a-lone-field": ("Hello there: friend\nSubject: one\n\nFrom: x@example.com\nTo: y@example.org\n",
                                     "From: x@example.com\nTo: y@example.org"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_quoted_header_block(name: str) -> None:
    text, want = CASES[name]
    assert quoted_header_block(text) == want
