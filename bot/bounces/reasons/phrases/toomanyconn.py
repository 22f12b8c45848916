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
        # Amazon SES: "Throttling failure: Daily message quota exceeded", "... Maximum sending rate exceeded"
        "throttling failure: ",
        "too many connections",
        "too many concurrent smtp connections",  # Microsoft
        "too many concurrent ",
        "too many errors from your ip",  # Free.fr
        "too many recipients",  # NTT docomo
        "too many smtp sessions for this host",  # Sendmail
        "trop de connexions, ",
        "we have already made numerous attempts to deliver this message",
    ),
    pairs=(
        # 421 4.7.0 Connection limit exceeded for 192.0.2.1, try again later
        ("connection ", "limit"),
        # Comcast: 421 Too many sessions opened from 192.0.2.1
        ("too many ", "sessions "),
    ),
)
