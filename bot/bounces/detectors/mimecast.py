"""Mimecast's "Email Delivery Failure" notices; used by the registry after `rfc3464`, which reads
those that carry a DSN part.

The layout is Sisimai's Mimecast decoder: the Subject "Email Delivery Failure" or a Message-ID of
".mimecast.lan" says it is Mimecast's; each line opening with "-- " is a recipient when it is one
address ("-- kijitora@example.org"), else words about the last one ("-- Recipient email address is
possibly incorrect", "-- 5.1.1 Recipient address rejected: User unknown").
"""

from __future__ import annotations

from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.plaintext import ADDRESS, facts_from_block, from_daemon, text_extraction
from bot.bounces.message import MessageView, squeeze

SUBJECT = "Email Delivery Failure"
MESSAGE_ID = ".mimecast.lan>"
BOUNDARIES = ("Content-Type: message/rfc822",)


class Mimecast:
    name = "mimecast"

    def detect(self, message: MessageView) -> Extraction | None:
        # A person's "Re: Email Delivery Failure", or a forwarded one, is not Mimecast's: its notices
        # come from a daemon, with the subject as Mimecast writes it
        if not from_daemon(message):
            return None
        if not message.subject.strip().startswith(SUBJECT) and MESSAGE_ID not in message.header("message-id"):
            return None
        addresses: list[str] = []
        words: dict[str, list[str]] = {}
        for line in message.text.split("\n"):
            if line.startswith(BOUNDARIES):
                break
            if not line.startswith("-- "):
                continue
            value = line[3:].strip()
            if value and " " not in value and ADDRESS.fullmatch(value.strip("<>")):
                address = value.strip("<>").lower()
                if address not in words:
                    addresses.append(address)
                    words[address] = []
            elif addresses and value:
                words[addresses[-1]].append(value)
        recipients: list[RecipientFacts] = [
            facts_from_block(a, squeeze(" ".join(words[a])) or a) for a in addresses]
        return text_extraction(self.name, message, recipients)


DETECTOR = Mimecast()
