"""Netscape Messaging Server's (3.x/4.x) bounces: a DSN whose delivery-status part names nobody, the
recipients only in its text; used by the registry after `messagingserver` (its Sun/iPlanet heir).

The layout is flufl.bounce's `Netscape` detector: a multipart message whose text/plain part says
"This Message was undeliverable due to the following reason:", the reason below it, then each
recipient as "<kijitora@example.org>"; "Please reply to <postmaster@...>" is not one.
"""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.plaintext import PhraseTable, bare_address, facts_from_block, hint, text_extraction
from bot.bounces.message import MessageView, squeeze
from bot.models import Reason

START = re.compile(r"This Message was undeliverable due to the following reason:", re.IGNORECASE)
# "<kijitora@example.org>" (also "   kijitora@example.org <kijitora@example.org>")
BRACKETED = re.compile(r"<([^<>\s]{1,320})>")
REPLY_TO = re.compile(r"please reply to", re.IGNORECASE)
BOUNDARIES = ("Content-Type: message/", "--- Original message follows")
# the server's own reasons
MESSAGES: PhraseTable = (
    (Reason.MAILBOXFULL, ("account is temporarily over quota", "over quota")),
    (Reason.USERUNKNOWN, ("user(s) account does not exist", "no such user", "unknown user")),
)


class Netscape:
    name = "netscape"

    def detect(self, message: MessageView) -> Extraction | None:
        if not message.content_type.startswith("multipart/"):
            return None
        start = START.search(message.text)
        if start is None:
            return None
        addresses: list[str] = []
        words: list[str] = []
        for line in message.text[start.end():].split("\n"):
            if line.startswith(BOUNDARIES):
                break
            found = BRACKETED.search(line)
            address = bare_address(found.group(1)) if found and "@" in found.group(1) else None
            if address is not None:
                if REPLY_TO.search(line):
                    break  # "Please reply to <postmaster@...>": the closing remark
                if address not in addresses:
                    addresses.append(address)
            elif line.strip() and not addresses:
                words.append(line.strip())
        diagnostic = squeeze(" ".join(words))
        reason = hint(diagnostic, MESSAGES)
        recipients: list[RecipientFacts] = [facts_from_block(a, diagnostic or a, reason=reason) for a in addresses]
        return text_extraction(self.name, message, recipients)


DETECTOR = Netscape()
