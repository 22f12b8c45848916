"""GMX, web.de and 1&1 (IONOS) plain-text bounces, Exim-built with their own layout; used by the registry."""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction
from bot.bounces.detectors.plaintext import (
    PhraseTable,
    after,
    cut,
    facts_from_block,
    hint,
    recipient_blocks,
    sender_domain,
)
from bot.bounces.message import MessageView
from bot.models import Reason

# "--- The header of the original message is following. ---"
BOUNDARY = "--- The header of the original message is following. ---"
# "This is a permanent error. The following address\nfailed:" / "The following address failed:"
START = re.compile(r"The following address(?:es)?\s+failed:\s*\n")
# '"shironeko@example.jp":', "<kijitora@example.co.jp>", "kijitora@example.org" (flush left, alone)
RECIPIENT = re.compile(r'^["<]?(?P<addr>[^\s"<>]+@[^\s"<>]+?)[">]?:?\s*$')
# "Reason:", "For the following reason:" introduce the words
LABEL = re.compile(r"^(?:For the following reason|Reason):\s*$")
MESSAGES: PhraseTable = (
    # "delivery retry timeout exceeded"
    (Reason.EXPIRED, ("delivery retry timeout exceeded",)),
    # "Mail size limit exceeded. For explanation visit http://postmaster.1and1.com/en/error-messages"
    (Reason.MESGTOOBIG, ("mail size limit exceeded",)),
)


class Gmx:
    name = "gmx"

    def detect(self, message: MessageView) -> Extraction | None:
        if BOUNDARY not in message.text:
            return None
        failed = after(message.text, ("This message was created automatically by mail delivery software",))
        start = START.search(failed or "")
        if failed is None or start is None:
            return None
        lines = cut(failed[start.end():], (BOUNDARY,)).split("\n")
        recipients = tuple(
            facts_from_block(b.recipient, b.text, reason=hint(b.text, MESSAGES))
            for b in recipient_blocks(lines, RECIPIENT, skip=LABEL)
            if b.recipient
        )
        if not recipients:
            return None
        return Extraction(mta=self.name, recipients=recipients, reporting_mta=sender_domain(message))


DETECTOR = Gmx()
