"""Facebook's "Sorry, your message could not be delivered" bounces; used by the registry before
`rfc3464`, whose reading of the DSN fields it relabels and completes with Facebook's reason.

The layout is Sisimai's Facebook decoder: From "Facebook <mailer-daemon@mx.facebook.com>", the
line "This message was created automatically by Facebook.", then RFC 3464 fields (in a DSN part or
pasted in the text) whose Diagnostic-Code ends in Facebook's own code ("550 5.1.1 RCP-P2"), the
reason by postmaster.facebook.com/response_codes.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.bounces.detectors import rfc3464
from bot.bounces.detectors.base import Extraction
from bot.bounces.message import MessageView
from bot.models import Reason

SENDER = "mailer-daemon@mx.facebook.com"
SUBJECT = "Sorry, your message could not be delivered"
START = "This message was created automatically by Facebook."
# "RCP-P2", "POL-T1", "INT-T3": three letters, a dash, P (permanent) or T (temporary) and a digit
CODE = re.compile(r"\b([A-Z]{3}-[PT]\d)\b")
CODES: dict[str, Reason] = {
    **dict.fromkeys(("RCP-P1", "INT-P1", "INT-P3", "INT-P4"), Reason.USERUNKNOWN),
    **dict.fromkeys(("RCP-P2", "RCP-P3"), Reason.FILTERED),
    **dict.fromkeys(("MSG-P1", "INT-P2"), Reason.MESGTOOBIG),
    **dict.fromkeys(("MSG-P2", "MSG-P3", "POL-P6", "POL-P7"), Reason.CONTENTERROR),
    **dict.fromkeys(("POL-P1", "POL-P2", "POL-P5"), Reason.SECURITYERROR),
    **dict.fromkeys(("POL-P3", "POL-P4", "POL-T1", "POL-T2", "POL-T3"), Reason.NOTACCEPT),
    **dict.fromkeys(("DNS-P1", "DNS-P2", "DNS-T1", "DNS-P3", "DNS-T2"), Reason.REJECTED),
    "CON-T1": Reason.SYSTEMERROR,
    "CON-T3": Reason.TOOMANYCONN,
    "RCP-T4": Reason.SUSPEND,
    **dict.fromkeys(("RCP-T1", "MSG-T1", "CON-T2", "CON-T4"), Reason.UNDEFINED),
}


class Facebook:
    name = "facebook"

    def detect(self, message: MessageView) -> Extraction | None:
        if message.from_address != SENDER or message.subject != SUBJECT or START not in message.body:
            return None
        read = rfc3464.DETECTOR.detect(message)
        if read is None or not read.recipients:
            return None
        recipients = []
        for facts in read.recipients:
            code = CODE.search(facts.diagnostic)
            # "INT-Tn": Facebook's own passing trouble (Sisimai: systemerror)
            reason = CODES.get(code.group(1)) if code else None
            if reason is None and code and code.group(1).startswith("INT-T"):
                reason = Reason.SYSTEMERROR
            recipients.append(replace(facts, reason=reason or facts.reason))
        return replace(read, mta=self.name, recipients=tuple(recipients),
                       reporting_mta=read.reporting_mta or "mx.facebook.com")


DETECTOR = Facebook()
