"""BIGLOBE's (and the cable ISPs it hosts: inacatv, tmtv, ttv) plain-text bounces; used by the registry.

The layout is Sisimai's Biglobe decoder: From postmaster@biglobe.ne.jp (or @inacatv.ne.jp,
@tmtv.ne.jp, @ttv.ne.jp), a Subject "Returned mail: ...", the recipients one a line under
"   ----- The following addresses had delivery problems -----" and the words under
"   ----- Non-delivered information -----".
"""

from __future__ import annotations

from bot.bounces.detectors.base import Extraction
from bot.bounces.detectors.plaintext import ADDRESS, PhraseTable, cut, facts_from_block, hint, text_extraction
from bot.bounces.message import MessageView, squeeze
from bot.models import Reason

DOMAINS = ("@biglobe.ne.jp", "@inacatv.ne.jp", "@tmtv.ne.jp", "@ttv.ne.jp")
START = "----- The following addresses had delivery problems -----"
BOUNDARIES = ("Content-Type: message/rfc822",)
# BIGLOBE's own words (Sisimai's Biglobe table)
MESSAGES: PhraseTable = (
    (Reason.FILTERED, ("mail delivery failed... user unknown",)),
    (Reason.MAILBOXFULL, ("the number of messages in recipient's mailbox exceeded the local limit",)),
)


class Biglobe:
    name = "biglobe"

    def detect(self, message: MessageView) -> Extraction | None:
        sender = message.from_address
        if not sender.startswith("postmaster@") or not sender.endswith(DOMAINS):
            return None
        if not message.subject.startswith("Returned mail:"):
            return None
        start = message.text.find(START)
        if start < 0:
            return None
        addresses: list[str] = []
        words: list[str] = []
        for line in cut(message.text[start + len(START):], BOUNDARIES).split("\n"):
            text = line.strip()
            if not text:
                continue
            # "kijitora@example.biglobe.ne.jp": an address alone on its line
            if " " not in text and ADDRESS.fullmatch(text):
                if text.lower() not in addresses:
                    addresses.append(text.lower())
            elif "--" not in text:
                words.append(text)
        diagnostic = squeeze(" ".join(words))
        if not diagnostic:
            return None
        reason = hint(diagnostic, MESSAGES)
        return text_extraction(self.name, message, [facts_from_block(a, diagnostic, reason=reason) for a in addresses])


DETECTOR = Biglobe()
