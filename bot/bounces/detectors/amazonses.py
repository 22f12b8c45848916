"""Amazon SES event notifications delivered by e-mail through SNS (JSON "notificationType");
used by the registry. SES's and WorkMail's ordinary bounces are RFC 3464 and read by `rfc3464`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.plaintext import bare_address, facts_from_block
from bot.bounces.message import MessageView
from bot.models import Action, Kind, Reason

# SNS folds long JSON lines as "...,{"name":"!\n Content-Transfer-Encoding",...}"
SNS_FOLD = re.compile(r"!\n ")
# "bounceSubType": SES states the reason outright for some (docs.aws.amazon.com/ses, bounce types)
SUBTYPES: dict[str, Reason] = {
    "NoEmail": Reason.USERUNKNOWN,
    "Suppressed": Reason.SUSPEND,
    "OnAccountSuppressionList": Reason.SUSPEND,
    "MailboxFull": Reason.MAILBOXFULL,
    "MessageTooLarge": Reason.MESGTOOBIG,
    "ContentRejected": Reason.CONTENTERROR,
    "AttachmentRejected": Reason.SECURITYERROR,
}


class AmazonSES:
    name = "amazonses"

    def detect(self, message: MessageView) -> Extraction | None:
        if not message.from_address.endswith("amazonaws.com") or '"notificationType"' not in message.text:
            return None
        event = _event(message.text)
        if event is None:
            return None
        kind = str(event.get("notificationType") or event.get("eventType") or "")
        if kind == "Delivery":
            return Extraction(mta=self.name, kind=Kind.DELIVERED)
        if kind == "Complaint":
            return Extraction(mta=self.name, kind=Kind.FEEDBACK)
        bounce = event.get("bounce")
        if kind != "Bounce" or not isinstance(bounce, dict):
            return None
        # "bounceType":"Transient" is SES giving up after retries on a soft failure
        subtype = SUBTYPES.get(str(bounce.get("bounceSubType", "")))
        recipients = tuple(r for r in (_recipient(item, subtype) for item in bounce.get("bouncedRecipients") or ())
                           if r is not None)
        if not recipients:
            return None
        reporting = str(bounce.get("reportingMTA") or "").rpartition(";")[2].strip() or None
        return Extraction(mta=self.name, recipients=recipients, reporting_mta=reporting)


def _event(text: str) -> dict[str, Any] | None:
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        event = json.loads(SNS_FOLD.sub("", text[start : end + 1]))
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


def _recipient(item: object, subtype: Reason | None) -> RecipientFacts | None:
    # {"emailAddress":"kijitora@example.com","action":"failed","status":"5.1.1",
    #  "diagnosticCode":"smtp; 550 5.1.1 user unknown"}
    if not isinstance(item, dict):
        return None
    address = bare_address(str(item.get("emailAddress", "")))
    if address is None:
        return None
    diagnostic = str(item.get("diagnosticCode") or "").partition(";")[2] or str(item.get("diagnosticCode") or "")
    status = str(item.get("status") or "") or None
    action = Action.DELAYED if str(item.get("action", "")).lower() == "delayed" else Action.FAILED
    return facts_from_block(address, diagnostic, action=action, status=status, reason=subtype)


DETECTOR = AmazonSES()
