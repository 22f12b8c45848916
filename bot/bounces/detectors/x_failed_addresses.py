"""Exim 3's and its clones' "Failed addresses follow:" bounces (Sisimai's X-family); used by the
registry."""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction
from bot.bounces.detectors.plaintext import ADDRESS, facts_from_block
from bot.bounces.message import MessageView, squeeze

# "|------------------------- Failed addresses follow: ---------------------|"
# " kijitora@example.com ... unknown host"
FAILED_FOLLOW = re.compile(r"^\|-+ Failed addresses follow: -+\|\s*$", re.M)
SECTION_BAR = re.compile(r"^\|-+ [^|]+ -+\|\s*$", re.M)


class FailedAddresses:
    name = "x-failed-addresses"

    def detect(self, message: MessageView) -> Extraction | None:
        start = FAILED_FOLLOW.search(message.text)
        if start is None:
            return None
        end = SECTION_BAR.search(message.text, start.end())
        section = message.text[start.end(): end.start() if end else None]
        log = message.text[: start.start()]
        recipients = []
        for line in section.split("\n"):
            # " kijitora@neko.example.com ... unknown host"
            found = ADDRESS.search(line)
            if found:
                words = squeeze(line[found.end():].lstrip(" .:") + " " + SECTION_BAR.sub(" ", log))
                recipients.append(facts_from_block(found.group(0).lower(), words))
        return Extraction(mta=self.name, recipients=tuple(recipients)) if recipients else None


DETECTOR = FailedAddresses()
