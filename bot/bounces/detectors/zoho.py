"""Zoho Mail's plain-text bounces (mailer-daemon@mail.zoho.com); used by the registry."""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction
from bot.bounces.detectors.plaintext import PhraseTable, after, facts_from_block, hint, recipient_blocks
from bot.bounces.message import MessageView
from bot.models import Action, Reason

# "This message was created automatically by mail delivery software."
START = "This message was created automatically by mail delivery software"
# "kijitora@example.co.jp Invalid Address, ERROR_CODE :550, ERROR_CODE :5.1.1 <...>... User Unknown"
# "kijitora@example.jp Error, ERROR_CODE :421, ERROR_CODE :, Host not reachable."
# The address is the line's first word with an "@" inside it, checked once by the lookahead: "\S+@\S+"
# tried every "@" of a long word (1.3 s on a 30 kB line).
RECIPIENT = re.compile(r"^(?P<addr>(?=\S+@\S)\S++)\s++(?=[\w ]*+, ERROR_CODE)")
# "Received: from mail.example.co.jp by mx.zohomail.com" starts the original
STOP = re.compile(r"^(?:Received|Return-Path|From|Message-I[Dd]|Date|Subject|To|MIME-Version):")
MESSAGES: PhraseTable = (
    # "kijitora@example.jp Error, ERROR_CODE :421, ERROR_CODE :, Host not reachable."
    (Reason.EXPIRED, ("host not reachable",)),
)


class Zoho:
    name = "zoho"

    def detect(self, message: MessageView) -> Extraction | None:
        if "x-zohomail" not in message.headers and not message.from_address.endswith("zoho.com"):
            return None
        section = after(message.text, (START,))
        if section is None:
            return None
        recipients = []
        for block in recipient_blocks(section.split("\n"), RECIPIENT, stop=STOP):
            words = block.text.replace("ERROR_CODE :", "").replace(" ,", " ")
            # a 4xx "Error" is Zoho still retrying; "Invalid Address" is final
            action = Action.DELAYED if re.search(r"ERROR_CODE :4\d\d", block.text) else Action.FAILED
            recipients.append(facts_from_block(block.recipient, words, action=action,
                                               reason=hint(words, MESSAGES)))
        if not recipients:
            return None
        return Extraction(mta=self.name, recipients=tuple(recipients), reporting_mta="mail.zoho.com")


DETECTOR = Zoho()
