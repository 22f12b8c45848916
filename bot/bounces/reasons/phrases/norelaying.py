"""The phrases that name `norelaying`."""

from __future__ import annotations

import re

from bot.bounces.reasons.phrases.base import Phrases

PHRASES = Phrases(
    contains=(
        "as a relay",
        "is not permitted to relay through this server without authentication",
        "not an open relay, so get lost",
        "not local host",
        "this system is not configured to relay mail",
        "we don't handle mail for",
        "no relaying",
        "insecure mail relay",
        "send to a non-local e-mail",  # MailEnable
        "not allowed to relay through this machine",
        "relay access denied",
        "relay denied",
        "relay not permitted",
        "relay prohibition",
        "relaying denied",  # Sendmail
        "domain isn't in my list of allowed rcpthost",  # qmail
        "specified domain is not allowed",
        "unable to relay for",
        "relaying not allowed",
        "relaying is disabled",
        "relay not allowed",
        "we do not relay",
        "not permitted to relay",
        "relaying mail to",
        "not a gateway",
        "unable to relay",
    ),
    # 554 5.7.1 <a@example.org>: Relay for a@example.org is denied (the words together, not anywhere)
    regex=re.compile(r"\brelay(?:ing)? (?:access )?(?:for \S+ )?(?:is |was )?denied\b"),
    pairs=(
        # 550 5.7.1 You are not authorized to relay
        (" not ", " to relay"),
    ),
)
