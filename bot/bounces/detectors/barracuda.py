"""Barracuda Spam Firewall's human notice when its DSN part is missing; used by the registry (its
RFC 3464 part is read by `rfc3464` first)."""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.plaintext import bare_address, facts_from_block, text_extraction
from bot.bounces.message import MessageView
from bot.models import Reason

# "Your message to: kijitora@example.org" / "was blocked by our Spam Firewall."
BLOCKED = re.compile(r"^Your message to: (\S+@\S+)\s*\n(was blocked by our Spam Firewall.*)$", re.M)


class Barracuda:
    name = "barracuda"

    def detect(self, message: MessageView) -> Extraction | None:
        return text_extraction(self.name, message, _recipients(message))


def _recipients(message: MessageView) -> list[RecipientFacts]:
    found = BLOCKED.search(message.text)
    address = bare_address(found.group(1)) if found else None
    if found is None or address is None:
        return []
    # the firewall's own verdict: its spam filter refused the message
    return [facts_from_block(address, found.group(2), reason=Reason.SPAMDETECTED, command="DATA")]


DETECTOR = Barracuda()
