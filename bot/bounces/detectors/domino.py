"""IBM/HCL (Lotus) Domino and Lotus Notes SMTP MTA plain-text bounces; used by the registry.

Domino bounces with a `message/delivery-status` part are read by `rfc3464` first.
"""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction
from bot.bounces.detectors.plaintext import ADDRESS, PhraseTable, after, facts_from_block, hint, sender_domain
from bot.bounces.message import MessageView, squeeze
from bot.models import Reason

# "Your message\n\n  Subject: Test Bounce\n\nwas not delivered to:\n\n  kijitora@example.jp\n\nbecause:\n\n  ..."
NOT_DELIVERED = re.compile(r"^was not delivered to:\s*$", re.M)
BECAUSE = re.compile(r"^because:\s*$", re.M)
# "------- Failure Reasons  --------" ... "------- Returned Message --------" (Lotus SMTP MTA)
FAILURE_REASONS = "------- Failure Reasons"
RETURNED = "------- Returned Message"
# Domino's and Notes' own words (in several languages), Sisimai's Domino and Notes tables.
MESSAGES: PhraseTable = (
    (Reason.USERUNKNOWN, ("not listed in domino directory", "not listed in public name & address book",
                          "no se encuentra en el directorio de domino", "non répertorié dans l'annuaire domino",
                          "domino ディレクトリには見つかりません")),
    (Reason.FILTERED, ("cannot route mail to user",)),
    (Reason.SYSTEMERROR, ("several matches found in domino directory",)),
    (Reason.NETWORKERROR, ("message has exceeded maximum hop count", "maximum hop count exceeded")),
)


class Domino:
    name = "domino"

    def detect(self, message: MessageView) -> Extraction | None:
        text = message.text
        listed = NOT_DELIVERED.search(text)
        if listed is not None:
            because = BECAUSE.search(text, listed.end())
            if because is None:
                return None
            addresses = ADDRESS.findall(text[listed.end():because.start()])
            words = squeeze(text[because.end():].strip().split("\n\n", 1)[0])
        else:
            section = after(text, (FAILURE_REASONS,))
            if section is None:
                return None
            section = section.split("\n", 1)[-1].partition(RETURNED)[0]
            addresses = ADDRESS.findall(section)
            words = squeeze(" ".join(line for line in section.split("\n") if "@" not in line))
        if not addresses:
            return None
        reason = hint(words, MESSAGES)
        recipients = tuple(facts_from_block(a.lower(), words, reason=reason) for a in dict.fromkeys(addresses))
        return Extraction(mta=self.name, recipients=recipients, reporting_mta=sender_domain(message))


DETECTOR = Domino()
