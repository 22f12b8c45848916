"""The phrases that name `mesgtoobig`."""

from __future__ import annotations

import re

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
    # Sisimai's ("message ", "exceeds ", "limit"), held to the words of a size limit: a free gap
    # would take "message rejected: sender exceeds rate limit" (speeding) and "message header size
    # exceeds limit" (exceedlimit)
    regex=re.compile(
        r"message (?:(?:body|data|length|size) )?exceeds (?:(?:the|our|this|an?|local|server|site|configured|"
        r"administrative|fixed|hard|maximum|max|allowed|permitted) )*(?:(?:message|size|length) )?limit"
    ),
)
