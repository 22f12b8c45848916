"""The phrases that name `speeding`."""

from __future__ import annotations

from bot.bounces.reasons.phrases.base import Phrases

PHRASES = Phrases(
    contains=(
        # GoDaddy IB607: 550 5.1.1 <x> - 192.0.2.1 has sent to too many recipients this hour
        "sent to too many recipients this hour",
        "mail sent from your ip address has been temporarily rate limited",
        "please try again slower",
        "receiving mail at a rate that prevents additional messages from being delivered",  # Gmail
    ),
    pairs=(
        # 421 4.7.0 Your mail has been temporarily rate limited, try again later
        ("temporarily", "rate limited"),
        # Comcast: 421 ... throttled, see https://postmaster.comcast.net/...
        ("throttled ", "postmaster.comcast.net"),
    ),
)
