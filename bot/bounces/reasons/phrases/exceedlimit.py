"""The phrases that name `exceedlimit`."""

from __future__ import annotations

from bot.bounces.reasons.phrases.base import Phrases

PHRASES = Phrases(
    contains=(
        "message header size exceeds limit",
        "message too large",
    )
)
