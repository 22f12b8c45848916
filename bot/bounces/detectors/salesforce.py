"""Notices in Salesforce's layout (also other CRM and bulk senders' relays): one line a recipient,
">>> kijitora@example.org (Undelivered): 551 not our customer"; used by the registry.
"""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.plaintext import bare_address, facts_from_block, sender_domain
from bot.bounces.message import MessageView
from bot.models import Action

# ">>> kijitora@example.org (Undelivered): 551 not our customer"
# ">>> neko@example.org (Delayed): 451 4.3.0 try again later"
# (the indent is blanks of its own line: "^\s*" let every line of a run of blank lines rescan the run)
RECIPIENT = re.compile(r"^[^\S\n]*>>>\s*<?(?P<addr>[^\s<>()]+@[^\s<>()]+?)>?\s*\((?P<state>Undelivered|Undeliverable"
                       r"|Failed|Rejected|Delayed|Deferred)\)\s*:?\s*(?P<why>.*)$", re.IGNORECASE | re.MULTILINE)
DELAYED_STATES = frozenset({"delayed", "deferred"})


class Salesforce:
    name = "salesforce"

    def detect(self, message: MessageView) -> Extraction | None:
        if ">>>" not in message.text:
            return None
        recipients: list[RecipientFacts] = []
        seen: set[str] = set()
        for found in RECIPIENT.finditer(message.text):
            address = bare_address(found.group("addr"))
            if address is None or address in seen:
                continue
            seen.add(address)
            action = Action.DELAYED if found.group("state").lower() in DELAYED_STATES else Action.FAILED
            recipients.append(facts_from_block(address, found.group("why") or found.group(0), action=action))
        if not recipients:
            return None
        return Extraction(mta=self.name, recipients=tuple(recipients), reporting_mta=sender_domain(message))


DETECTOR = Salesforce()
