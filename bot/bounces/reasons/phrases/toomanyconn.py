"""The phrases that name `toomanyconn`."""

from __future__ import annotations

import re

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
    # Sisimai's ("connection ", "limit"), held to the words of a connection limit: a free gap took
    # "connection timed out; retry time limit exceeded" (expired) and "exceeded the daily limit" (blocked)
    # 421 4.7.0 Connection limit exceeded for 192.0.2.1; Comcast: 421 Too many sessions opened from 192.0.2.1
    regex=re.compile(r"\bconnections? (?:rate |count )?limit\b|\btoo many (?:smtp )?sessions\b"),
)
