"""Unnamed MTAs' bounces that list recipients as "*" bullets above "Technical details:" (Sisimai's
X-family); used by the registry."""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction
from bot.bounces.detectors.plaintext import bare_address, facts_from_block
from bot.bounces.message import MessageView, squeeze

# "Delevery to the following recipients failed permanently:" / "   * kijitora@example.co.jp" /
# "Technical details:" / "SMTP:RCPT host 192.0.2.233: 553 5.3.0 <kijitora@example.co.jp>... No such user here"
# (the indent is blanks of its own line: "^\s*" let every line of a run of blank lines rescan the run)
BULLETS = re.compile(r"^[^\S\n]*\*\s+(\S+@\S+)\s*$", re.M)
TECHNICAL = "Technical details:"
SMTP_HOST = re.compile(r"SMTP:(\w+) host ([\w.:-]+\w): (.+)")


class Bullets:
    name = "x-bullets"

    def detect(self, message: MessageView) -> Extraction | None:
        # "This is an automatically generated Delivery Status Notification." above the bullets
        if TECHNICAL not in message.text and "Delivery Status Notification" not in message.text:
            return None
        addresses = [a for a in (bare_address(m.group(1)) for m in BULLETS.finditer(message.text)) if a]
        if not addresses:
            return None
        details = message.text.partition(TECHNICAL)[2]
        smtp = SMTP_HOST.search(details)
        words = smtp.group(3) if smtp else squeeze(details.split("=====", 1)[0])
        recipients = tuple(facts_from_block(a, words, command=smtp.group(1).upper() if smtp else None,
                                            remote_mta=smtp.group(2) if smtp else None) for a in addresses)
        return Extraction(mta=self.name, recipients=recipients)


DETECTOR = Bullets()
