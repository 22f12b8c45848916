"""The cheap "may cite a list" gate of bot.bounces.blocklists: a superset of the exact regex."""

from __future__ import annotations

import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.bounces.blocklists import (
    _BL_AT_WORD_END,
    _MENTIONS_A_LIST,
    _NAMED_LISTS,
    IGNORECASE_TO_ASCII,
    KNOWN_ZONES,
    LOOKUP_URLS,
    mentions_a_list,
    required_words,
)


@pytest.mark.parametrize(("pattern", "words"), [
    (r"\bspamhaus\b", ("spamhaus",)),
    (r"barracuda(?:central|networks)\.(?:org|com)/(?:rbl|lookups|bbl)", ("barracuda",)),
    (r"spamhaus\.org/(?:query/(?:ip|bl)|lookup)|check\.spamhaus\.org", ("spamhaus", "spamhaus")),
    (r"uceprotect\.net/(?:en/)?rblcheck", ("uceprotect",)),
    (r"abcdef?\.xyz", ("abcde",)),  # the optional letter is not required
    (r"[]a-z]+\.example\.(?:org|net)", ("example",)),
    (r"[^]x]hostname", ("hostname",)),
], ids=["bounded", "group-after", "top-level-branches", "optional-group", "optional-letter", "class", "negated-class"])
def test_required_words(pattern: str, words: tuple[str, ...]) -> None:
    assert required_words(pattern) == words


@pytest.mark.parametrize("pattern", [r"(?:spamhaus|spamcop)", r"spamhaus|[a-z]+"], ids=["group-only", "one-branch"])
def test_a_branch_without_a_word_is_refused(pattern: str) -> None:
    with pytest.raises(ValueError, match="without a required word"):
        required_words(pattern)


@settings(max_examples=300, deadline=None)
@given(text=st.from_regex(_MENTIONS_A_LIST))
def test_the_gate_passes_whatever_the_exact_regex_matches(text: str) -> None:
    assert mentions_a_list(text)


@pytest.mark.parametrize("pattern", [p for p, _ in (*LOOKUP_URLS, *_NAMED_LISTS)], ids=lambda p: p.pattern)
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_the_gate_passes_every_catalogue_pattern(pattern: re.Pattern[str], data: st.DataObject) -> None:
    assert mentions_a_list(data.draw(st.from_regex(pattern)))


@pytest.mark.parametrize("zone", KNOWN_ZONES)
def test_the_gate_passes_every_zone_name(zone: str) -> None:
    assert mentions_a_list(f"554 5.7.1 see {zone.upper()}")


@pytest.mark.parametrize("text", [
    "550 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using psbl.surriel.com",
    "554 Rejected - see http://www.surriel.com/listing?ip=192.0.2.1",
    "550 Denied by DNSBL: 192.0.2.1",
    "550 rejected, see https://www.mailspike.net/lookup",
    "550 5.7.1 ſpam source",  # letters IGNORECASE matches to ASCII ones: "ſ" is "s", "İ" is "i"
    "550 5.7.1 see https://www.barracudacentral.org/lookups/LİST",
    "550 5.7.1 Ваш IP в чёрном списке SPAMHAUS",
])
def test_the_gate_passes_citations(text: str) -> None:
    assert _MENTIONS_A_LIST.search(text)
    assert mentions_a_list(text)


def test_the_gate_skips_plain_refusals() -> None:
    assert not mentions_a_list("550 5.1.1 <kijitora@example.org>: Recipient address rejected: User unknown")
    assert not mentions_a_list("451 4.3.0 Service unavailable, try again later")


def test_ignorecase_to_ascii_covers_every_code_point() -> None:
    ascii_letter = re.compile("[a-z0-9]", re.IGNORECASE)
    folding = [chr(cp) for cp in range(128, sys.maxunicode + 1) if ascii_letter.fullmatch(chr(cp))]
    assert sorted(folding) == sorted(chr(cp) for cp in IGNORECASE_TO_ASCII)
    for char in folding:
        assert re.fullmatch(char.translate(IGNORECASE_TO_ASCII), char, re.IGNORECASE)
    # and lower-casing never turns what follows a "bl" into a letter: "bl\b" keeps its meaning
    exact = re.compile(r"bl\b", re.IGNORECASE)
    assert all(_BL_AT_WORD_END.search(("bl" + chr(cp)).translate(IGNORECASE_TO_ASCII).lower())
               for cp in range(sys.maxunicode + 1) if exact.search("bl" + chr(cp)))
