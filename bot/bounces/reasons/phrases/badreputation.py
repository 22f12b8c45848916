"""The phrases that name `badreputation`."""

from __future__ import annotations

from bot.bounces.reasons.phrases.base import Phrases

PHRASES = Phrases(
    contains=(
        "poor email reputation score",
        "has been temporarily rate limited due to ip reputation",
        "ip/domain reputation problems",
        "likely suspicious due to the very low reputation",  # Gmail
        "sending mta's poor reputation",  # Cisco IronPort
        "low reputation",
        "bad reputation",
        "sender reputation",
    )
)
