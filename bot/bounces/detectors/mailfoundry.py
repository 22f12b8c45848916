"""MailFoundry's plain-text bounces; used by the registry."""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.plaintext import facts_from_block, text_extraction
from bot.bounces.message import MessageView, squeeze

# "Unable to deliver message to: <kijitora@example.org>" / "Delivery failed for the following reason:" /
# "Server mx.example.org[192.0.2.2] failed with: 550 ..."
TO = re.compile(r"^Unable to deliver message to: <([^>\s]+@[^>\s]+)>", re.M)
WHY = "Delivery failed for the following reason:"
HOST = re.compile(r"(?<![\w.-])([\w.-]+\w)\[[\d.:a-fA-F]+\] (?:failed with|responded with failure)")


class MailFoundry:
    name = "mailfoundry"

    def detect(self, message: MessageView) -> Extraction | None:
        return text_extraction(self.name, message, _recipients(message))


def _recipients(message: MessageView) -> list[RecipientFacts]:
    to = TO.search(message.text)
    if to is None or WHY not in message.text:
        return []
    words = squeeze(message.text.partition(WHY)[2].split("\n\n", 1)[0])
    host = HOST.search(words)
    return [facts_from_block(to.group(1).lower(), words, remote_mta=host.group(1).lower() if host else None)]


DETECTOR = MailFoundry()
