"""The phrases that name `mesgtoobig`."""

from __future__ import annotations

from bot.bounces.reasons.phrases.base import Phrases

PHRASES = Phrases(
    contains=(
        "exceeds the maximum size ",
        "taille limite du message atteinte",
        # 500 Line limit exceeded (after end of data)
        "line limit exceeded",
        "exceeded maximum inbound message size",
        "max message size exceeded",
        "message file too big",
        "message length exceeds administrative limit",
        "message size exceeds fixed limit",
        "message size exceeds fixed maximum message size",
        "message size exceeds maximum value",
        "message too big",
        "size limit",
        "message is too big",
        "message is too large",
        "exceeds size limit",
        "mail size exceeds",
        "message size exceeds",
        "size exceeds the maximum",
    ),
    pairs=(
        ("exceeded", "message size"),
        ("message size", "exceed"),
        ("message ", " too big"),
        ("message too large for this ", ""),
    ),
)
