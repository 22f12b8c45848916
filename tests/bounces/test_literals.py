"""LiteralIndex finds exactly the groups a substring test per phrase finds."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.bounces.reasons import _CONTAINED
from bot.bounces.reasons.literals import LiteralIndex
from bot.bounces.reasons.phrases import PHRASES

# A small alphabet, so phrases share prefixes, overlap and contain each other; "." and "(" are regex syntax.
PHRASE = st.text(alphabet="ab .(", min_size=1, max_size=5)
GROUPS = st.dictionaries(st.integers(min_value=0, max_value=6), st.lists(PHRASE, min_size=1, max_size=6), max_size=6)


def substring_test(groups: dict[int, list[str]], text: str) -> frozenset[int]:
    return frozenset(key for key, phrases in groups.items() if any(p in text for p in phrases))


@settings(max_examples=400, deadline=None)
@given(groups=GROUPS, text=st.text(alphabet="ab .(x", max_size=30))
def test_found_is_the_substring_test(groups: dict[int, list[str]], text: str) -> None:
    assert LiteralIndex(groups).found(text) == substring_test(groups, text)


@pytest.mark.parametrize(("text", "want"), [
    ("550 user unknown here", {"u"}),
    ("550 mailbox unavailable", {"m"}),
    ("550 mailbox unavailable: user unknown", {"m", "u"}),
    ("user unknown mailbox", {"u", "m"}),  # a phrase inside a longer one of another group
    ("nothing to see", set()),
], ids=["one", "longest-at-a-position", "two", "nested", "none"])
def test_found(text: str, want: set[str]) -> None:
    index = LiteralIndex({"u": ["user unknown", "unknown mailbox"], "m": ["mailbox", "mailbox unavailable"]})
    assert index.found(text) == want


def test_an_empty_phrase_is_refused() -> None:
    with pytest.raises(ValueError, match="empty phrase"):
        LiteralIndex({"x": ["ok", ""]})


@given(text=st.sampled_from([p for phrases in PHRASES.values() for p in phrases.contains]), pad=st.text(max_size=8))
def test_the_classifier_index_is_its_tables(text: str, pad: str) -> None:
    text = pad + text + pad
    assert _CONTAINED.found(text) == {r for r, phrases in PHRASES.items() if any(p in text for p in phrases.contains)}
