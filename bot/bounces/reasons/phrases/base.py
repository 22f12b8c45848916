"""What a reason's phrase table is: the phrases that name it, and how a diagnostic is matched against them."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Phrases:
    """Lower-case phrases that name a reason: any `contains`, or both halves of a pair in order."""

    contains: tuple[str, ...] = ()
    pairs: tuple[tuple[str, str], ...] = ()
    regex: re.Pattern[str] | None = None
    unless: tuple[str, ...] = ()  # phrases that veto a match

    def match(self, text: str, *, contained: bool | None = None) -> bool:
        """Whether `text` names the reason; `contained` says whether a `contains` phrase occurs in
        it, when the caller has found out for all tables at once (`bot.bounces.reasons.literals`)."""
        if self.unless and any(p in text for p in self.unless):
            return False
        if contained is None:
            contained = any(p in text for p in self.contains)
        if contained:
            return True
        for first, second in self.pairs:
            at = text.find(first)
            if at >= 0 and text.find(second, at + len(first)) >= 0:
                return True
        return bool(self.regex and self.regex.search(text))
