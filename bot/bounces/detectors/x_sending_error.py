"""Unnamed MTAs' "There was an error sending your mail" notices, "1 error(s):" then one refusal per
recipient (Sisimai's X6); used by the registry after `x_rejected_recipient`, which reads the refusal
when it stands on one line."""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.plaintext import bare_address, facts_from_block, text_extraction
from bot.bounces.message import MessageView, squeeze
from bot.models import Action

SUBJECT = "There was an error sending your mail"
# "1 error(s):"
COUNT = re.compile(r"^\d+ *error\(s\):", re.M)
# "The attachment contains the original mail headers." (where the returned headers start)
END = "The attachment contains the original mail headers"
# "SMTP Server <mx.example.org> rejected recipient <kijitora@example.org>"
# "The following recipients returned permanent errors: kijitora@example.org."
RECIPIENT = re.compile(r"<([^ @<>]+@[^ @<>]+)>|errors: *([^ ]+@[^ ]+)")
# "  (Error following RCPT command). It responded as follows: [550 5.1.1 User unknown]"
CONTINUED = re.compile(r"^[ \t]+\S")
COMMAND = re.compile(r"\b(HELO|EHLO|MAIL|RCPT|DATA)\b")
SERVER = re.compile(r"SMTP Server <([^<>\s]+)>")


class SendingError:
    name = "x-sending-error"

    def detect(self, message: MessageView) -> Extraction | None:
        if not message.subject.startswith(SUBJECT):
            return None
        count = COUNT.search(message.text)
        if count is None:
            return None
        blocks: list[tuple[str, list[str]]] = []
        for line in message.text[count.end():].partition(END)[0].split("\n"):
            found = RECIPIENT.search(line)
            address = bare_address(found.group(1) or found.group(2)) if found else None
            if address:
                blocks.append((address, [line]))
            elif blocks and CONTINUED.match(line):
                blocks[-1][1].append(line)
        recipients: list[RecipientFacts] = []
        for address, lines in blocks:
            words = squeeze(" ".join(lines))
            command, server = COMMAND.search(words), SERVER.search(words)
            recipients.append(facts_from_block(address, words, action=Action.FAILED,
                                               command=command.group(1) if command else None,
                                               remote_mta=server.group(1).lower() if server else None))
        return text_extraction(self.name, message, recipients)


DETECTOR = SendingError()
