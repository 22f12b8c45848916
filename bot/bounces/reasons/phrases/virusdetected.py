"""The phrases that name `virusdetected`."""

from __future__ import annotations

import re

from bot.bounces.reasons.phrases.base import Phrases

PHRASES = Phrases(
    contains=(
        "it has a potentially executable attachment",
        "the message was rejected because it contains prohibited virus",
        "this form of attachment has been used by recent viruses",
        "virus detected",
        "virus phishing/malicious_url detected",
        "your message was infected with a virus",
        "virus found",
        "infected with",
        "contains a virus",
        "malware detected",
    ),
    # "message was infected with a virus", "message was rejected ... virus": Sisimai's
    # ("message was ", "ected", " virus")
    # held within one sentence: "rejected by Barracuda. Possible virus or spam" is a block
    regex=re.compile(r"message was \w*ected\b[^.;]{0,40}\bvirus"),
)
