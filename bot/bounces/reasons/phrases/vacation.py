"""The phrases that name `vacation`."""

from __future__ import annotations

from bot.bounces.reasons.phrases.base import Phrases

PHRASES = Phrases(
    contains=(
        "i am away on vacation",
        "i am away until",
        "i am out of the office",
        "i will be traveling for work on",
    )
)
