"""MessageLabs' (Symantec Email Security.cloud) human notice when its DSN part is missing; used by
the registry (its RFC 3464 part is read by `rfc3464` first)."""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.plaintext import ADDRESS, facts_from_block, text_extraction
from bot.bounces.message import MessageView, squeeze

# "This is the mail delivery agent at Symantec Email Security.cloud." /
# "I was unable to deliver your message to the following addresses:" / "kijitora@example.org" /
# "Reason: 550 5.1.1 <kijitora@example.org>: Recipient address rejected"
UNABLE = "I was unable to deliver your message to the following addresses:"
REASON = re.compile(r"^Reason: (.+(?:\n(?!\n|The message ).+)*)", re.M)


class MessageLabs:
    name = "messagelabs"

    def detect(self, message: MessageView) -> Extraction | None:
        return text_extraction(self.name, message, _recipients(message))


def _recipients(message: MessageView) -> list[RecipientFacts]:
    section = message.text.partition(UNABLE)[2]
    if not section:
        return []
    reason = REASON.search(section)
    listed = section[: reason.start()] if reason else section.split("\n\n\n", 1)[0]
    words = squeeze(reason.group(1)) if reason else ""
    return [facts_from_block(a.lower(), words) for a in dict.fromkeys(ADDRESS.findall(listed))]


DETECTOR = MessageLabs()
