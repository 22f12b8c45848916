"""Trend Micro InterScan MSS's plain-text bounces; used by the registry (its DSN parts are read by
`rfc3464` first)."""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.plaintext import bare_address, facts_from_block, text_extraction
from bot.bounces.message import MessageView, squeeze
from bot.models import Reason

# "Sent <<< RCPT TO:<kijitora@example.co.jp>" / "Received >>> 550 5.1.1 <...>... user unknown"
SENT = re.compile(r"^Sent <<< (RCPT|MAIL|DATA)\w*(?: TO| FROM)?:?\s*<?([^>\s]*)>?", re.M)
RECEIVED = re.compile(r"^Received >>> (.+)$", re.M)
# "Unable to deliver message to <kijitora@example.jp> (and other recipients in the same domain)."
UNABLE = re.compile(r"Unable to deliver message to <([^>\s]+@[^>\s]+)>")


class InterScan:
    name = "interscan"

    def detect(self, message: MessageView) -> Extraction | None:
        return text_extraction(self.name, message, _recipients(message))


def _recipients(message: MessageView) -> list[RecipientFacts]:
    if "interscan" not in message.header("from").lower() and "InterScan" not in message.text:
        return []
    unable = UNABLE.search(message.text)
    if unable:
        # "Please check if address is correct": InterScan's own recipient check refused it
        words = squeeze(message.text[unable.start():].split("\n\n", 1)[0])
        return [facts_from_block(unable.group(1).lower(), words, reason=Reason.USERUNKNOWN)]
    received = RECEIVED.findall(message.text)
    sent = [(command, bare_address(address)) for command, address in SENT.findall(message.text)]
    addresses = [a for command, a in sent if command == "RCPT" and a]
    if not received or not addresses:
        return []
    return [facts_from_block(addresses[-1], received[-1], command=sent[-1][0])]


DETECTOR = InterScan()
