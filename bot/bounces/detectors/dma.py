"""The DragonFly Mail Agent's (dma) plain-text bounces; used by the registry."""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction
from bot.bounces.detectors.plaintext import PhraseTable, after, bare_address, cut, facts_from_block, hint
from bot.bounces.message import MessageView
from bot.models import Reason

# "This is the DragonFly Mail Agent v0.13 at df.example.jp."
START = "This is the DragonFly Mail Agent"
# "Message headers follow."
BOUNDARIES = ("Message headers follow.", "Original message follows.")
# "There was an error delivering your mail to <kijitora@example.com>."
RECIPIENT = re.compile(r"There was an error delivering your mail to <([^>]+)>")
# "mail-inbound.example.net [192.0.2.25] did not like our RCPT TO:"
# "gmail-smtp-in.l.google.com [192.0.2.27] did not like our final DATA:"
REMOTE = re.compile(r"^(\S+) \[[\d.:a-fA-F]+\] did not like our (RCPT|MAIL|DATA|final DATA|HELO|EHLO)", re.M)

# dma's own words (dma.c, net.c); the remote server's need no help.
MESSAGES: PhraseTable = (
    # "Could not deliver for the last 432000 seconds. Giving up."
    (Reason.EXPIRED, ("could not deliver for the last",)),
    # "DNS lookup failure: host cx.example.org not found"
    (Reason.HOSTUNKNOWN, ("dns lookup failure: host",)),
)


class DragonFly:
    name = "dma"

    def detect(self, message: MessageView) -> Extraction | None:
        section = after(message.text, (START,))
        if section is None:
            return None
        section = cut(section, BOUNDARIES)
        found = RECIPIENT.search(section)
        address = bare_address(found.group(1)) if found else None
        if found is None or address is None:
            return None
        words = section[found.end():].lstrip(".")
        remote = REMOTE.search(words)
        command = remote.group(2).split()[-1] if remote else None
        facts = facts_from_block(address, words, remote_mta=remote.group(1).lower() if remote else None,
                                 command=command, reason=hint(words, MESSAGES))
        # "This is the DragonFly Mail Agent v0.13 at df.example.jp."
        host = re.match(r"This is the DragonFly Mail Agent \S+ at ([\w.-]+\w)", section)
        return Extraction(mta=self.name, recipients=(facts,), reporting_mta=host.group(1) if host else None)


DETECTOR = DragonFly()
