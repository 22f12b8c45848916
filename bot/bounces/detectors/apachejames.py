"""Apache James' bounces ("Error message below:" and "Message details:"); used by the registry.

The layout is Sisimai's ApacheJames decoder (James 2.3's AbstractNotify mailet): the Subject
"[BOUNCE]", a JavaMail Message-ID or a "JAMES SMTP Server" Received header say it is James'; the
recipients are the "  RCPT TO:" lines of the message details, the words those below the error line.
"""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction
from bot.bounces.detectors.plaintext import bare_address, facts_from_block, text_extraction
from bot.bounces.message import MessageView, squeeze

# "Error message below:" / "550 - Requested action not taken: no such user here" / "Message details:"
ERROR_START = "Error message below:"
DETAILS = "Message details:"
# "  RCPT TO: kijitora@example.org"
RCPT_TO = re.compile(r"^  RCPT TO: ([^ ]+@[^ ]+)$", re.M)


class ApacheJames:
    name = "apachejames"

    def detect(self, message: MessageView) -> Extraction | None:
        james = (message.subject == "[BOUNCE]" or ".JavaMail." in message.header("message-id")
                 or any("JAMES SMTP Server" in r for r in message.headers.get_all("received")))
        if not james or DETAILS not in message.text:
            return None
        head, _, details = message.text.partition(DETAILS)
        _, started, error = head.partition(ERROR_START)
        words = squeeze(error) if started else ""
        addresses = [a for a in (bare_address(m) for m in RCPT_TO.findall(details)) if a]
        return text_extraction(self.name, message,
                               [facts_from_block(a, words or ERROR_START) for a in dict.fromkeys(addresses)])


DETECTOR = ApacheJames()
