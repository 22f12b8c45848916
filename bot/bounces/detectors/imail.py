"""Ipswitch IMail Server's plain-text bounces; used by the registry."""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.plaintext import PhraseTable, bare_address, facts_from_block, hint, text_extraction
from bot.bounces.message import MessageView, squeeze
from bot.models import Reason

# "undeliverable to kijitora@example.jp" / "Body of message generated response:" / "550-REJECTED ..."
# or one line: "Unknown user: kijitora@example.jp", "User mailbox exceeds allowed size: kijitora@example.jp"
TO = re.compile(
    r"^(?:undeliverable to|(?!(?:To|CC|Cc|Bcc|From|Reply-To|Sender):)(?P<why>[A-Z][\w ]+):)\s+(?P<addr>\S+@\S+)\s*$",
    re.M)
WHY = "Body of message generated response:"
# IMail's own words (Sisimai's IMailServer table); the remote server's need no help.
MESSAGES: PhraseTable = (
    (Reason.HOSTUNKNOWN, ("unknown host",)),
    (Reason.USERUNKNOWN, ("unknown user", "invalid final delivery userid")),
    (Reason.MAILBOXFULL, ("user mailbox exceeds allowed size",)),
    (Reason.VIRUSDETECTED, ("requested action not taken: virus detected",)),
    (Reason.EXPIRED, ("delivery failed ",)),
)
# "SMTP connection failed,", "Unexpected response to EHLO/HELO:", "Server response to MAIL FROM:",
# "Additional RCPT TO generated following response:", "DATA command generated response:"
COMMANDS = (("SMTP connection failed", "CONN"), ("Unexpected connection response", "CONN"),
            ("to EHLO/HELO", "HELO"), ("to MAIL FROM", "MAIL"), ("RCPT TO generated", "RCPT"),
            ("DATA command generated", "DATA"))


class IMail:
    name = "imail"

    def detect(self, message: MessageView) -> Extraction | None:
        return text_extraction(self.name, message, _recipients(message))


def _recipients(message: MessageView) -> list[RecipientFacts]:
    # X-Mailer: <SMTP32 v8.22> / Subject: Undeliverable Mail
    if not message.header("x-mailer").startswith("<SMTP32") and message.subject.strip() != "Undeliverable Mail":
        return []
    to = TO.search(message.text)
    address = bare_address(to.group("addr")) if to else None
    if to is None or address is None:
        return []
    response = message.text.partition(WHY)[2]
    words = squeeze(response.split("\n\n", 1)[0]) if response else to.group("why") or ""
    command = next((c for phrase, c in COMMANDS if phrase in response), None)
    own = f"{to.group('why') or ''} {words}"
    return [facts_from_block(address, words or own, command=command, reason=hint(own, MESSAGES))]


DETECTOR = IMail()
