"""Unnamed MTAs' one-sentence refusals, "SMTP Server <host> rejected recipient <address> ... It
responded as follows: [...]" (Sisimai's X-family); used by the registry."""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.plaintext import bare_address, facts_from_block, find_command
from bot.bounces.message import MessageView, squeeze

# "SMTP Server <smtpd.example.org> rejected recipient <kijitora@example.org> (Error following RCPT command).
#  It responded as follows: [550 5.1.1 User unknown]"
REJECTED = re.compile(
    r"SMTP Server <([^>\n]*)> rejected recipient <([^>\s]+@[^>\s]+)>"
    r"[^\n]{0,200}?It responded as follows: \[([^\]\n]*)\]")


class RejectedRecipient:
    name = "x-rejected-recipient"

    def detect(self, message: MessageView) -> Extraction | None:
        recipients: list[RecipientFacts] = []
        for found in REJECTED.finditer(message.text):
            address = bare_address(found.group(2))
            if address:
                recipients.append(facts_from_block(address, found.group(3), remote_mta=found.group(1).lower() or None,
                                                   command=find_command(squeeze(found.group(0)))))
        return Extraction(mta=self.name, recipients=tuple(recipients)) if recipients else None


DETECTOR = RejectedRecipient()
