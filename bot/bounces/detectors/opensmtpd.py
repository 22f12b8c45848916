"""OpenSMTPD's plain-text bounces ("Delivery status notification: error"); used by the registry."""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction
from bot.bounces.detectors.plaintext import (
    PhraseTable,
    after,
    cut,
    facts_from_block,
    hint,
    recipient_blocks,
    sender_domain,
)
from bot.bounces.message import MessageView
from bot.models import Action, Reason

# "    This is the MAILER-DAEMON, please DO NOT REPLY to this e-mail." (later: "this email.")
START = "This is the MAILER-DAEMON, please DO NOT REPLY to this"
# "    Below is a copy of the original message:"
BOUNDARIES = ("Below is a copy of the original message", "Below is a copy of the message")
# "kijitora@example.jp: 550 5.1.1 <kijitora@example.jp>... User Unknown"
# The address is the line's first run of non-blank, non-colon characters with an "@" inside it, checked
# once by the lookahead: "[^\s:]+@[^\s:]+" tried every "@" of a long run (1.3 s on a 30 kB line).
RECIPIENT = re.compile(r"^(?P<addr>(?=[^\s:]+@[^\s:])[^\s:]++):\s")
# Subject: Delivery status notification: delay  (OpenSMTPD still retrying)
DELAYED = re.compile(r"delay", re.IGNORECASE)

# OpenSMTPD's own words (mta.c, lka_session.c); the remote server's need no help.
MESSAGES: PhraseTable = (
    (Reason.HOSTUNKNOWN, ("domain does not exist", "invalid domain name")),
    (Reason.EXPIRED, ("envelope expired",)),
    (Reason.NETWORKERROR, ("network error on destination mxs", "destination seem to reject all mails",
                           "an error has occurred on the remote host")),
    (Reason.NOTACCEPT, ("no mx found for domain", "no mx found for destination")),
    (Reason.SECURITYERROR, ("could not retrieve credentials",)),
    (Reason.SYSTEMERROR, ("temporary failure in mta lookup", "loop detected")),
)


class OpenSMTPD:
    name = "opensmtpd"

    def detect(self, message: MessageView) -> Extraction | None:
        section = after(message.text, (START,))
        if section is None:
            return None
        action = Action.DELAYED if DELAYED.search(message.subject) else Action.FAILED
        recipients = tuple(
            facts_from_block(block.recipient, block.text, action=action, reason=hint(block.text, MESSAGES))
            for block in recipient_blocks(cut(section, BOUNDARIES).split("\n"), RECIPIENT,
                                          stop=re.compile(r"^\s"))
            if block.recipient
        )
        if not recipients:
            return None
        return Extraction(mta=self.name, recipients=recipients, reporting_mta=sender_domain(message))


DETECTOR = OpenSMTPD()
