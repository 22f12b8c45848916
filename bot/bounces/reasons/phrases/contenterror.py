"""The phrases that name `contenterror`."""

from __future__ import annotations

from bot.bounces.reasons.phrases.base import Phrases

PHRASES = Phrases(
    contains=(
        # "this message contain(s) ..." (Microsoft)
        "message contain invalid mime headers",
        "message contain improperly-formatted binary content",
        "message contain text that uses unnecessary base64 encoding",
        "message contains invalid mime headers",
        "message contains improperly-formatted binary content",
        "message contains text that uses unnecessary base64 encoding",
        "charset not supported",
        "header size exceeds maximum permitted",
        "improper use of 8-bit data in message header",
        "message header size, or recipient list, exceeds policy limit",
        "message mime complexity exceeds the policy maximum",
        "routing loop detected -- too many received: headers",
        "message header too long",
        "invalid mime",
    )
)
