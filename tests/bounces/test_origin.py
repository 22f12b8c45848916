"""Ours or spoofed: the verdict on the bounced original from each signal alone."""

from __future__ import annotations

import pytest

from bot.bounces.message import parse_header_block, read_message
from bot.bounces.origin import describe_original, received_chain
from bot.models import Ownership

OURS = Ownership(domains=("example.com",), sending_ips=("203.0.113.10",), sending_hosts=("mail.example.com",))
VIA_OUR_IP = ("Received: from mail.example.com (mail.example.com [203.0.113.10])\n\tby mx.example.org; "
              "Mon, 2 Mar 2026 10:00:00 +0000\n")
VIA_OTHER_IP = "Received: from unknown (HELO bot) ([198.51.100.99])\n\tby mx.example.org; Mon, 2 Mar 2026\n"
INTERNAL_HOP = "Received: from app (app.internal [10.0.0.5])\n\tby mail.example.com; Mon, 2 Mar 2026\n"
FROM_US = "From: news@example.com\nMessage-ID: <m1@example.com>\n"


def _verdict(headers: str, ownership: Ownership = OURS, bounce_to: str = "news@example.com") -> bool | None:
    message = read_message(f"To: {bounce_to}\nSubject: bounce\n\nbody\n".encode(), max_bytes=10_000)
    original = describe_original(message, parse_header_block(headers), ownership)
    return None if original is None else original.ours


@pytest.mark.parametrize(("headers", "ownership", "ours"), [
    (VIA_OUR_IP + INTERNAL_HOP + FROM_US, OURS, True),
    (VIA_OTHER_IP + FROM_US, OURS, False),
    (VIA_OTHER_IP + FROM_US, Ownership(domains=("example.com",)), True),  # only the Message-ID speaks
    ("Received: from x (mail.example.com [192.0.2.1]) by y\n" + FROM_US,
     Ownership(domains=("example.com",), sending_hosts=("mail.example.com",)), True),
    ("DKIM-Signature: v=1; d=example.com; s=s1; b=x\nFrom: a@example.com\n",
     Ownership(domains=("example.com",)), True),
    ("DKIM-Signature: v=1; d=spammer.example.net; s=s1; b=x\nFrom: a@example.com\n",
     Ownership(domains=("example.com",)), False),
    ("From: a@example.net\nMessage-ID: <x@example.net>\n", OURS, None),
    ("From: a@example.com\n", Ownership(), None),
], ids=["our-ip", "foreign-ip", "message-id-only", "our-host", "our-dkim", "foreign-dkim", "not-our-domain",
        "no-settings"])
def test_verdict(headers: str, ownership: Ownership, ours: bool | None) -> None:
    assert _verdict(headers, ownership) is ours


@pytest.mark.parametrize("bounce_to", ["prvs=1234abcd56=news@example.com", "bounces+bob=example.org@example.com"],
                         ids=["batv", "verp"])
def test_signed_return_path_without_original(bounce_to: str) -> None:
    message = read_message(f"To: {bounce_to}\nSubject: bounce\n\nbody\n".encode(), max_bytes=10_000)
    original = describe_original(message, None, OURS)
    assert original is not None and original.ours is True


def test_no_original_no_verdict() -> None:
    message = read_message(b"To: news@example.com\n\nbody\n", max_bytes=10_000)
    assert describe_original(message, None, OURS) is None


def test_first_hop_skips_internal_hops() -> None:
    chain = received_chain(parse_header_block(VIA_OUR_IP + INTERNAL_HOP + FROM_US))
    assert chain.public_ips == ("203.0.113.10",)
    assert "mail.example.com" in chain.hosts
