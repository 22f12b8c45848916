"""Header-field text helpers (bot.bounces.message.headers), against the plain definitions they stand for."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.bounces.message.headers import squeeze


@settings(max_examples=500, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("ab \t\n\r\x0b\x0c\xa0\u3000."), max_size=40) | st.text(max_size=40))
def test_squeeze_is_runs_of_blanks_as_one_space(text: str) -> None:
    assert squeeze(text) == re.sub(r"[ \t]+", " ", text.replace("\n", " ")).strip()
