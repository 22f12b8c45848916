"""Mailgun's bounce notice read from its human text; used by the registry after `rfc3464` (its
relays usually attach a DSN part as well)."""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.plaintext import bare_address, facts_from_block, text_extraction
from bot.bounces.message import MessageView

# "Your message was not delivered to kijitora@example.org because ..." /
# "Server response: 550 5.1.1 The email account that you tried to reach does not exist."
UNDELIVERED = re.compile(r"Your message (?:was not|could not be) delivered to <?([^\s<>]+@[\w.-]+\w)")
RESPONSE = re.compile(r"^(?:Server response|Error|Diagnostic code):\s*(.+)$", re.M)


class Mailgun:
    name = "mailgun"

    def detect(self, message: MessageView) -> Extraction | None:
        return text_extraction(self.name, message, _recipients(message))


def _recipients(message: MessageView) -> list[RecipientFacts]:
    # X-Mailgun-Sid: WyI0ZjBhNyIsICJraWppdG9yYUBleGFtcGxlLm9yZyJd
    if "x-mailgun-sid" not in message.headers and "mailgun" not in message.header("from").lower():
        return []
    found = UNDELIVERED.search(message.text)
    address = bare_address(found.group(1)) if found else None
    if found is None or address is None:
        return []
    response = RESPONSE.search(message.text)
    return [facts_from_block(address, response.group(1) if response else found.group(0))]


DETECTOR = Mailgun()
