"""The phrases that name `notcompliantrfc`."""

from __future__ import annotations

import re

from bot.bounces.reasons.phrases.base import Phrases

PHRASES = Phrases(
    contains=(
        # Gmail: 550-5.7.1 Messages with multiple addresses in From: header are not accepted
        "messages with multiple addresses in from:",
        "multiple addresses in from: header",
        "this message is not rfc 5322 compliant",
        "https://support.google.com/mail/?p=rfcmessagenoncompliant",
        "duplicate header",
        "multiple from addresses",
        "not rfc 5322 compliant",
        "rfc 5322",
    ),
    # Gmail: "There are multiple Subject headers"; not any "multiple … header" (spam filters' words)
    regex=re.compile(r"\bthere are multiple [\w-]+ headers\b"),
)
