"""The phrases that name `toomanyconn`."""

from __future__ import annotations

from bot.bounces.reasons.phrases.base import Phrases

PHRASES = Phrases(
    contains=(
        # Tencent QQ: 550 Ip frequency limited
        "ip frequency limited",
        "all available ips are at maximum connection limit",  # SendGrid
        "connection rate limit exceeded",
        "exceeds per-domain connection limit for",
        "has exceeded the max emails per hour ",
        "throttling failure: daily message quota exceeded",  # SES
        "throttling failure: maximum sending rate exceeded",
        "too many connections",
        "too many concurrent smtp connections",  # Microsoft
        "too many errors from your ip",  # Free.fr
        "too many recipients",  # NTT docomo
        "too many smtp sessions for this host",  # Sendmail
        "trop de connexions, ",
        "we have already made numerous attempts to deliver this message",
    )
)
