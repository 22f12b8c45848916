"""SendGrid's bounce notice read from its human text; used by the registry after `rfc3464` (its
relays usually attach a DSN part as well)."""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.plaintext import facts_from_block, text_extraction
from bot.bounces.message import MessageView

# "This is an automatically generated message from SendGrid."
START = "This is an automatically generated message from SendGrid"
# "user:000000:<kijitora@example.jp> : 192.0.2.250 : mx.example.jp:[192.0.2.153] :
#  550 5.1.1 <...>... User Unknown  in RCPT TO"
# The address holds no "<": "[^>\s]+@" ran from every "<" of a long run of them to its end.
LINE = re.compile(
    r"^\S*<(?P<addr>[^<>\s]+@[^<>\s]+)>\s*:\s*[\d.:a-fA-F]+\s*:\s*(?P<host>[\w.-]*)(?::\[[^\]]*\])?\s*:\s*(?P<words>.+)$",
    re.M)
# " in RCPT TO", " in DATA" at the end of SendGrid's line
COMMAND = re.compile(r"\bin (RCPT TO|MAIL FROM|DATA)\s*$")


class SendGrid:
    name = "sendgrid"

    def detect(self, message: MessageView) -> Extraction | None:
        return text_extraction(self.name, message, _recipients(message))


def _recipients(message: MessageView) -> list[RecipientFacts]:
    if START not in message.text:
        return []
    recipients = []
    for line in LINE.finditer(message.text):
        command = COMMAND.search(line.group("words"))
        recipients.append(facts_from_block(
            line.group("addr").lower(), COMMAND.sub("", line.group("words")),
            remote_mta=line.group("host").lower() or None,
            command=command.group(1).split()[0] if command else None))
    return recipients


DETECTOR = SendGrid()
