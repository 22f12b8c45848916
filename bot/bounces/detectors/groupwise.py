"""Novell GroupWise (GWIA) and NTMail notices: "Message status - undeliverable", then the
recipients, each with its reason in brackets ("kijitora (user not found)"); used by the registry.

Recognised as flufl.bounce's `GroupWise` does (X-Mailer "Novell GroupWise" / "NTMail"), or by the
"Message status - undeliverable" subject GWIA writes; "<address>" or an address opening a line is a
recipient there, and a bare local part is resolved against the returned original's To:.
"""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.plaintext import ADDRESS, facts_from_block, resolve_local, sender_domain
from bot.bounces.message import MessageView, squeeze

MAILERS = ("novell groupwise", "groupwise", "ntmail")
SUBJECT = "message status - undeliverable"
# "The message that you sent was undeliverable to the following:", "The following recipients were not
# delivered:", "Message status - undeliverable": where the list starts
LIST_START = re.compile(r"undeliverable to the following|not (?:be )?delivered to the following"
                        r"|message status - undeliverable", re.IGNORECASE)
# "	kijitora@example.org (user not found)", "<kijitora@example.org> user not found", "  kijitora (user not found)"
RECIPIENT = re.compile(r"^\s*<?(?P<who>[^\s<>()]+?)>?\s*(?:[(:]\s*(?P<why>[^)]*)\)?)?\s*$")
# "Possible causes:", "Reporting-MTA:", "Original message follows": the end of the list
STOP = re.compile(r"^\s*(?:Possible causes|Options:|Reporting-MTA|-{3,}|Original message)", re.IGNORECASE)


class GroupWise:
    name = "groupwise"

    def detect(self, message: MessageView) -> Extraction | None:
        mailer = message.header("x-mailer").lower()
        if not (mailer.startswith(MAILERS) or SUBJECT in message.subject.lower()):
            return None
        start = LIST_START.search(message.text)
        if start is None:
            return None
        recipients: list[RecipientFacts] = []
        seen: set[str] = set()
        for line in message.text[start.end():].split("\n")[1:200]:
            if STOP.match(line):
                break
            found = RECIPIENT.match(line)
            if found is None or (not found.group("why") and "@" not in found.group("who")):
                continue
            who = found.group("who")
            address = who.lower() if ADDRESS.fullmatch(who) else resolve_local(who, message)
            if address is None or address in seen:
                continue
            seen.add(address)
            # "(user not found)": GroupWise's reason, the only words it gives
            recipients.append(facts_from_block(address, squeeze(found.group("why") or line)))
        if not recipients:
            return None
        return Extraction(mta=self.name, recipients=tuple(recipients), reporting_mta=sender_domain(message))


DETECTOR = GroupWise()
