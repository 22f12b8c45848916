"""PowerMTA's "Delivery report" DSNs; used by the registry before `rfc3464`, whose reading of the
report it relabels and completes with PowerMTA's bounce category.

The layout is Sisimai's PowerMTA decoder: a Subject "Delivery report ...", the text "Hello, this
is the mail server on <host>." over the list of recipients, a standard delivery-status part whose
recipient blocks add "X-PowerMTA-BounceCategory: bad-mailbox", the headers of the original after.
"""

from __future__ import annotations

from dataclasses import replace

from bot.bounces.detectors import rfc3464
from bot.bounces.detectors.base import Extraction
from bot.bounces.message import MessageView
from bot.models import Reason

SUBJECT = "Delivery report"
START = "Hello, this is the mail server on "
FIELD = "x-powermta-bouncecategory"
# PowerMTA's bounce categories (Sisimai's table; its "disabled" is our "suspend")
CATEGORIES: dict[str, Reason] = {
    "bad-domain": Reason.HOSTUNKNOWN,
    "bad-mailbox": Reason.USERUNKNOWN,
    "inactive-mailbox": Reason.SUSPEND,
    "message-expired": Reason.EXPIRED,
    "no-answer-from-host": Reason.NETWORKERROR,
    "policy-related": Reason.POLICYVIOLATION,
    "quota-issues": Reason.MAILBOXFULL,
    "routing-errors": Reason.SYSTEMERROR,
    "spam-related": Reason.SPAMDETECTED,
}


class PowerMTA:
    name = "powermta"

    def detect(self, message: MessageView) -> Extraction | None:
        if not message.subject.startswith(SUBJECT) or START not in message.text:
            return None
        read = rfc3464.DETECTOR.detect(message)
        if read is None:
            return None
        categories: dict[str, str] = {}
        if message.delivery_status is not None:
            for block in message.delivery_status.per_recipient:
                address = rfc3464.dsn_address(block.get("final-recipient"))
                if address and FIELD in block:
                    categories[address] = block.get(FIELD).strip().lower()
        recipients = tuple(replace(r, reason=CATEGORIES.get(categories.get(r.recipient, ""), r.reason))
                           for r in read.recipients)
        return replace(read, mta=self.name, recipients=recipients)


DETECTOR = PowerMTA()
