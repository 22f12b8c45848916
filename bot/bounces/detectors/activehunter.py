"""TransWARE Active!hunter's plain-text bounces ("FAILURE NOTICE :"); used by the registry.

The layout is Sisimai's Activehunter decoder: an X-AHMailID header says it is Active!hunter's; under
"  ----- The following addresses had permanent fatal errors -----" each recipient is a line
">>> kijitora@example.org <kijitora@example.org>", and the first line of words after it (under
"----- Transcript of session follows -----") is the remote server's reply.
"""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.plaintext import bare_address, cut, facts_from_block, text_extraction
from bot.bounces.message import MessageView

START = "----- The following addresses had permanent fatal errors -----"
BOUNDARIES = ("Content-type: message/rfc822", "Content-Type: message/rfc822")
# "550 sorry, no mailbox here by that name (#5.1.1 - chkusr)": a line that starts with a word
WORDS = re.compile(r"^[0-9A-Za-z]")


class Activehunter:
    name = "activehunter"

    def detect(self, message: MessageView) -> Extraction | None:
        if "x-ahmailid" not in message.headers:
            return None
        start = message.text.find(START)
        if start < 0:
            return None
        addresses: list[str] = []
        words: dict[str, str] = {}
        heads: dict[str, str] = {}
        for line in cut(message.text[start + len(START):], BOUNDARIES).split("\n"):
            found = _recipient(line)
            if found:
                address = bare_address(found)
                if address and address not in words:
                    addresses.append(address)
                    words[address] = ""
                    heads[address] = line.strip()
            elif addresses and not words[addresses[-1]] and WORDS.match(line):
                words[addresses[-1]] = line.strip()
        recipients: list[RecipientFacts] = [facts_from_block(a, words[a] or heads[a]) for a in addresses]
        return text_extraction(self.name, message, recipients)


def _recipient(line: str) -> str | None:
    """'kijitora@example.org' of '>>> kijitora@example.org <kijitora@example.org>', else None."""
    line = line.rstrip()
    if not line.startswith(">>> ") or not line.endswith(">"):
        return None
    inside = line[line.rfind("<") + 1: -1]
    return inside if "@" in inside and not any(c.isspace() for c in inside) else None


DETECTOR = Activehunter()
