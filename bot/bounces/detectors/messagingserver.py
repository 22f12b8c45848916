"""Oracle (Sun, iPlanet) Messaging Server and PMDF notices, read from their human text; used by
the registry after `rfc3464` (they attach a DSN part, this covers a missing or unreadable one).
"""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction
from bot.bounces.detectors.plaintext import bare_address, facts_from_block, sender_domain
from bot.bounces.message import MessageView, squeeze

# "Your message cannot be delivered to the following recipients:"
START = "Your message cannot be delivered to the following recipients:"
# "  Recipient address: kijitora@example.org" / "  Reason: Remote SMTP server has rejected address" /
# "  Diagnostic code: smtp;550 5.1.1 unknown or illegal alias: kijitora@example.org" /
# "  Remote system: dns;mx.example.org (TCP|192.0.2.1|2525|192.0.2.2|25) (mx.example.org ESMTP)"
# The indent is read from at most the blank line above and its own line: "^\s+" let every line of a
# run of blank lines rescan the run.
FIELD = re.compile(r"^(?:[^\S\n]*\n[^\S\n]*|[^\S\n]+)"
                   r"(Recipient address|Original address|Reason|Diagnostic code|Remote system):\s*(.*)$", re.M)


class MessagingServer:
    name = "messagingserver"

    def detect(self, message: MessageView) -> Extraction | None:
        section = message.text.partition(START)[2]
        if not section:
            return None
        blocks: list[dict[str, str]] = []
        for name, value in FIELD.findall(section):
            if name == "Recipient address":
                blocks.append({})
            if blocks:
                blocks[-1].setdefault(name, value.strip())
        recipients = []
        for block in blocks:
            address = bare_address(block.get("Recipient address", ""))
            if address is None:
                continue
            diagnostic = block.get("Diagnostic code", "").partition(";")[2] or block.get("Reason", "")
            remote = block.get("Remote system", "").partition(";")[2].split(" ", 1)[0] or None
            recipients.append(facts_from_block(address, squeeze(diagnostic), remote_mta=remote))
        if not recipients:
            return None
        return Extraction(mta=self.name, recipients=tuple(recipients), reporting_mta=sender_domain(message))


DETECTOR = MessagingServer()
