"""The Courier mail server's delivery status notices, read from their human text; used by the
registry after `rfc3464` (Courier attaches a DSN part; this reads the notice when it is missing).
"""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.plaintext import after, facts_from_block, recipient_blocks
from bot.bounces.message import MessageView, squeeze
from bot.models import Action

# "This is a delivery status notification from mx.example.org,\nrunning the Courier mail server, version 1.1."
START = "running the Courier mail server"
# "Your message to the following recipients cannot be delivered:" /
# "Your message to the following recipients has been delayed:" (DELAYED)
DELAYED = "has been delayed"
# "<kijitora@example.jp>:"
RECIPIENT = re.compile(r"^<(?P<addr>[^>\s]+@[^>\s]+)>:\s*$")
# "---------------------------------------------------------------------------" closes the list
RULE = re.compile(r"^-{20,}\s*$")
# "    mx.example.jp [192.0.2.45]:" / ">>> RCPT TO:<kijitora@example.jp>" / "<<< 550 5.1.1 User unknown"
# (the indent is read from at most the blank line above and its own line, as in `gmail.RECIPIENT`)
HOST = re.compile(r"^(?:[^\S\n]*\n[^\S\n]*|[^\S\n]+)([\w.-]+\w) \[[\d.:a-fA-F]+\]:\s*$", re.M)
SENT = re.compile(r"^>>> (RCPT|MAIL|DATA|HELO|EHLO)\b", re.M | re.IGNORECASE)
SAID = re.compile(r"^<<< (.+)$", re.M)


class Courier:
    name = "courier"

    def detect(self, message: MessageView) -> Extraction | None:
        section = after(message.text, (START,))
        if section is None:
            return None
        action = Action.DELAYED if DELAYED in section else Action.FAILED
        # the list sits between the second and third rule lines; blocks end at a rule
        recipients: list[RecipientFacts] = []
        for block in recipient_blocks(section.split("\n"), RECIPIENT, stop=RULE):
            lines = "\n".join(block.lines)
            said = SAID.findall(lines)
            sent = SENT.findall(lines)
            host = HOST.search(lines)
            recipients.append(facts_from_block(
                block.recipient, " ".join(said) or squeeze(lines), action=action,
                remote_mta=host.group(1).lower() if host else None, command=sent[-1].upper() if sent else None))
        if not recipients:
            return None
        reporting = re.search(r"notification from ([\w.-]+\w),", message.text)
        return Extraction(mta=self.name, recipients=tuple(recipients),
                          reporting_mta=reporting.group(1) if reporting else None)


DETECTOR = Courier()
