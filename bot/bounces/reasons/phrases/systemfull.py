"""The phrases that name `systemfull`."""

from __future__ import annotations

from bot.bounces.reasons.phrases.base import Phrases

PHRASES = Phrases(
    contains=(
        # Sendmail: 452 4.4.5 Insufficient disk space; try again later
        "insufficient disk space",
        "mail system full",
        "requested mail action aborted: exceeded storage allocation",
        "insufficient system storage",
        "out of disk space",
        "too many messages in queue",
    )
)
