"""Ours, forged or unknown: the verdict on the bounced original from each signal alone, and why."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.bounces import DEFAULT_MAX_BYTES, origin, parse
from bot.bounces.message import parse_header_block, read_message
from bot.bounces.origin import _HOST_NAME, _host_names, describe_original, received_chain
from bot.models import Original, OriginBasis, Ownership, ServerKind

OURS = Ownership(domains=("example.com",), sending_ips=("203.0.113.10",), sending_hosts=("mail.example.com",))
# What the bot learns from `v=spf1 ip4:192.0.2.10 ip4:198.51.100.0/24 mx -all` with MX mx1.example.com.
LEARNED = Ownership(domains=("example.com",), sending_ips=("192.0.2.10", "198.51.100.0/24"),
                    sending_hosts=("mx1.example.com",))
VIA_OUR_IP = ("Received: from mail.example.com (mail.example.com [203.0.113.10])\n\tby mx.example.org; "
              "Mon, 2 Mar 2026 10:00:00 +0000\n")
VIA_OTHER_IP = "Received: from unknown (HELO bot) ([198.51.100.99])\n\tby mx.example.org; Mon, 2 Mar 2026\n"
VIA_BOTNET = "Received: from pc7.dsl.example.net ([203.0.113.7])\n\tby mx.victim.example.org; Mon, 2 Mar 2026\n"
INTERNAL_HOP = "Received: from app (app.internal [10.0.0.5])\n\tby mail.example.com; Mon, 2 Mar 2026\n"
FROM_US = "From: news@example.com\nMessage-ID: <m1@example.com>\n"
FORGED = "From: news@example.com\nMessage-ID: <0a1b2c3d@pc7.dsl.example.net>\nSubject: cheap pills\n"


def _original(headers: str | None, ownership: Ownership = OURS, bounce_to: str = "news@example.com") -> Original:
    message = read_message(f"To: {bounce_to}\nSubject: bounce\n\nbody\n".encode(), max_bytes=10_000)
    return describe_original(message, parse_header_block(headers) if headers else None, ownership)


@pytest.mark.parametrize(("headers", "ownership", "ours", "basis"), [
    (VIA_OUR_IP + INTERNAL_HOP + FROM_US, OURS, True, OriginBasis.SENDING_IP),
    (VIA_OTHER_IP + FROM_US, OURS, False, OriginBasis.OUTSIDE_SERVERS),
    (VIA_OTHER_IP + FROM_US, Ownership(domains=("example.com",)), None, OriginBasis.NO_SERVERS),
    (FROM_US, Ownership(domains=("example.com",)), True, OriginBasis.MESSAGE_ID),
    ("Received: from x (mail.example.com [192.0.2.1]) by y\n" + FROM_US,
     Ownership(domains=("example.com",), sending_hosts=("mail.example.com",)), True, OriginBasis.SENDING_HOST),
    ("DKIM-Signature: v=1; d=example.com; s=s1; b=x\nFrom: a@example.com\n",
     Ownership(domains=("example.com",)), True, OriginBasis.DKIM),
    ("DKIM-Signature: v=1; d=spammer.example.net; s=s1; b=x\nFrom: a@example.com\n",
     Ownership(domains=("example.com",)), False, OriginBasis.FOREIGN_DKIM),
    ("From: a@example.net\nMessage-ID: <x@example.net>\n", OURS, None, OriginBasis.NO_EVIDENCE),
    ("From: a@example.com\n", Ownership(), None, OriginBasis.NO_SERVERS),
    # Learned from SPF: an address inside an ip4 range is ours, one outside it forged.
    ("Received: from out7.example.com ([198.51.100.77]) by mx.example.org\n" + FROM_US, LEARNED, True,
     OriginBasis.SENDING_IP),
    (VIA_BOTNET + FORGED, LEARNED, False, OriginBasis.OUTSIDE_SERVERS),
    # Submitted from a home address through our MX host: the hop that took it is ours.
    ("Received: from laptop (home.example.net [192.0.2.200]) by mx1.example.com with ESMTPSA\n" + FROM_US,
     LEARNED, True, OriginBasis.SENDING_HOST),
    # A Message-ID host seen in our own mail before is ours, weakly, when no hop contradicts it.
    ("From: news@example.com\nMessage-ID: <a1@mailer7.example.net>\n",
     Ownership(domains=("example.com",), message_id_hosts=("mailer7.example.net",)), True, OriginBasis.MESSAGE_ID),
], ids=["our-ip", "foreign-ip", "hop-but-no-servers-known", "message-id-only", "our-host", "our-dkim",
        "foreign-dkim", "not-our-domain", "no-settings", "spf-range", "botnet-outside-spf", "by-our-mx",
        "learned-message-id-host"])
def test_verdict(headers: str, ownership: Ownership, ours: bool | None, basis: OriginBasis) -> None:
    original = _original(headers, ownership)
    assert (original.ours, original.basis) == (ours, basis)


def test_forged_says_every_sign() -> None:
    original = _original(VIA_BOTNET + FORGED, LEARNED)
    assert original.ours is False
    assert original.ours_evidence == ("its first hop 203.0.113.7 is outside our servers; no DKIM signature of ours; "
                                      "its Message-ID host pc7.dsl.example.net is not one of ours")


def test_ipv4_mapped_hop_matches_our_network() -> None:
    headers = "Received: from out ([IPv6:::ffff:198.51.100.5]) by mx.example.org\n" + FROM_US
    assert _original(headers, LEARNED).ours is True


@pytest.mark.parametrize("bounce_to", ["prvs=1234abcd56=news@example.com", "bounces+bob=example.org@example.com"],
                         ids=["batv", "verp"])
def test_signed_return_path_without_original(bounce_to: str) -> None:
    original = _original(None, OURS, bounce_to)
    assert (original.ours, original.basis) == (True, OriginBasis.RETURN_PATH)


def test_no_original_is_unknown_and_keeps_where_it_came_back_to() -> None:
    original = _original(None, OURS)
    assert (original.ours, original.basis) == (None, OriginBasis.NO_ORIGINAL)
    assert original.return_path == "news@example.com"  # what attributes it to example.com
    assert "quotes none of the original's headers" in original.ours_evidence


def test_our_mail_teaches_its_names() -> None:
    headers = ("Received: from smtp3.example.com ([192.0.2.10]) by mx.example.org\n"
               "DKIM-Signature: v=1; d=esp.example.net; s=s1; b=x\n"
               "From: news@example.com\nMessage-ID: <q1@smtp3.example.com>\n")
    original = _original(headers, LEARNED)
    assert original.ours is True
    assert {(n.kind, n.value) for n in original.our_names} == {
        (ServerKind.HOST, "smtp3.example.com"), (ServerKind.MESSAGE_ID_HOST, "smtp3.example.com")}


def test_forged_mail_teaches_nothing() -> None:
    assert _original(VIA_BOTNET + FORGED, LEARNED).our_names == ()


def test_first_hop_skips_internal_hops() -> None:
    chain = received_chain(parse_header_block(VIA_OUR_IP + INTERNAL_HOP + FROM_US))
    assert chain.public_ips == ("203.0.113.10",)
    assert "mail.example.com" in chain.hosts
    assert [hop.by for hop in chain.hops] == ["mail.example.com", "mx.example.org"]


# The textbook form of a dotted host name, which `_HOST_NAME` must find exactly as it does.
TEXTBOOK_HOST_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")


@settings(max_examples=1000, deadline=None)
@given(text=st.text(alphabet="ab1-._ [(", max_size=24))
def test_host_names_are_the_textbook_ones(text: str) -> None:
    assert _host_names(text) == TEXTBOOK_HOST_NAME.findall(text) == _HOST_NAME.findall(text)
    assert bool(_HOST_NAME.fullmatch(text)) == bool(TEXTBOOK_HOST_NAME.fullmatch(text))


def test_a_long_word_in_a_received_header_costs_linear_time() -> None:
    # The textbook form backtracked through every start in a word: 60 KB of letters took a minute.
    headers = parse_header_block(f"Received: from x ({'a' * 60_000}) by mx.example.org\n")
    started = time.perf_counter()
    chain = received_chain(headers)
    assert time.perf_counter() - started < 1.0
    assert chain.hops[0].by == "mx.example.org"


FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bounces"
# A bounce quoting an original whose Received header holds 12 KB of "a-a-a-...": searched with
# `_HOST_NAME.findall`, each label of the run was tried again up to its end (0.4 s for the chain).
HOSTILE_CHAIN = (FIXTURES / "rfc3464-failed.eml").read_bytes().replace(
    b"Received: from mail.example.com (mail.example.com [203.0.113.10])",
    b"Received: from mail.example.com (" + b"a-" * 6_000 + b" [203.0.113.10])", 1)


def test_a_hyphenated_run_in_a_received_header_costs_linear_time() -> None:
    assert b"a-a-a-" in HOSTILE_CHAIN
    ownership = Ownership(domains=("example.com",), sending_ips=("203.0.113.10",))
    parse(HOSTILE_CHAIN, ownership=ownership, strict=True)  # warm the caches
    started = time.perf_counter()
    report = parse(HOSTILE_CHAIN, ownership=ownership, strict=True)
    assert time.perf_counter() - started < 0.05  # 2 ms; 0.4 s with `_HOST_NAME.findall`
    assert report.original is not None
    assert (report.original.ours, report.original.basis) == (True, OriginBasis.SENDING_IP)


def test_received_hosts_are_found_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    """`_host_names` finds in every fixture's Received headers (the bounce's own and the quoted
    original's) the hosts the searched `_HOST_NAME` found."""
    views = [read_message(p.read_bytes(), max_bytes=DEFAULT_MAX_BYTES) for p in sorted(FIXTURES.glob("*.eml"))]
    blocks = [*(v.headers for v in views), *(v.original for v in views if v.original)]
    blocks.append(parse_header_block(VIA_OUR_IP + INTERNAL_HOP + VIA_BOTNET + VIA_OTHER_IP
                                     + "Received: from a (b-.c d--e.f-g.h -i.j k_l.m [1.2.3.4]) by n.o\n"))
    new = [received_chain(headers) for headers in blocks]
    assert any(chain.hosts for chain in new)
    monkeypatch.setattr(origin, "_host_names", _HOST_NAME.findall)
    assert new == [received_chain(headers) for headers in blocks]
