"""McAfee Email Appliance's "Delivery Status" notices; used by the registry before `rfc3464`.

The appliance attaches a DSN part whose recipient block often has no Diagnostic-Code; its text part
(deliveryproblems.txt) has the words, "<address>   (words)". The layout is Sisimai's McAfee decoder:
"X-NAI-Header: Modified by McAfee ..." and the Subject "Delivery Status" say it is the appliance's.
"""

from __future__ import annotations

import re

from bot.bounces.detectors import rfc3464
from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.plaintext import bare_address, facts_from_block, sender_domain
from bot.bounces.message import MessageView
from bot.models import Reason

# "X-NAI-Header: Modified by McAfee Email and Web Security Virtual Appliance"
NAI_HEADER = "Modified by McAfee "
SUBJECT = "Delivery Status"
# "    --- The following addresses had delivery problems ---"
START = "--- The following addresses had delivery problems ---"
# "<kijitora@example.co.jp>   (Unknown user kijitora@example.co.jp)"
LISTED = re.compile(r"^<([^ ]+@[^ ]+)>[ \t]+\((.+)\)$", re.M)
# The appliance's words for an unknown mailbox, Sisimai's McAfee table: " User (a@b) unknown. ",
# "550 Unknown user a@b", "550 <a@b>... User not exist", "No such user"
USERUNKNOWN = re.compile(r" User \([^()\s]+@[^()\s]+\) unknown\. |550 Unknown user [^ ]+@[^ ]+"
                         r"|550 <[^<>\s]+@[^<>\s]+>\.+ User not exist|No such user")


class McAfee:
    name = "mcafee"

    def detect(self, message: MessageView) -> Extraction | None:
        if not message.header("x-nai-header").startswith(NAI_HEADER) or message.subject != SUBJECT:
            return None
        _, started, section = message.text.partition(START)
        listed = {address: words for address, words in ((bare_address(a), w) for a, w in LISTED.findall(section))
                  if address} if started else {}
        dsn = rfc3464.DETECTOR.detect(message)
        told = {r.recipient: r for r in dsn.recipients} if dsn is not None else {}
        recipients = [_facts(address, listed.get(address, ""), told.get(address))
                      for address in dict.fromkeys([*told, *listed])]
        if not recipients:
            return None
        return Extraction(mta=self.name, recipients=tuple(recipients),
                          reporting_mta=dsn.reporting_mta if dsn is not None else sender_domain(message))


def _facts(address: str, words: str, dsn: RecipientFacts | None) -> RecipientFacts:
    """The DSN's fields, with the text's words where the DSN has no Diagnostic-Code."""
    diagnostic = (dsn.diagnostic if dsn is not None else "") or words
    reason = Reason.USERUNKNOWN if USERUNKNOWN.search(diagnostic) else None
    if dsn is None:
        return facts_from_block(address, diagnostic, reason=reason)
    return facts_from_block(address, diagnostic, action=dsn.action, status=dsn.status, reply_code=dsn.reply_code,
                            remote_mta=dsn.remote_mta, command=dsn.command, reason=reason)


DETECTOR = McAfee()
