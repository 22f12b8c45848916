"""Last resort for bounces in no known layout: a bounce by its envelope (mailer-daemon sender,
bounce subject, X-Failed-Recipients), recipients from the headers or the returned original, the
words from lines that carry an SMTP code. Last in the registry; returns None for anything else.
"""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction
from bot.bounces.detectors.plaintext import STATUS, bare_address, facts_from_block, header_list, sender_domain
from bot.bounces.message import MessageView, squeeze
from bot.models import Action

# From: MAILER-DAEMON@example.org, postmaster@example.org, Mail Delivery System <mailer-daemon@...>
DAEMONS = ("mailer-daemon", "mailer_daemon", "postmaster", "mail-daemon", "maildaemon", "mdaemon", "bounce",
           "bounces", "nobody", "postoffice", "mail.delivery.system")
# "Undelivered Mail Returned to Sender", "Returned mail: ...", "Delivery Status Notification (Failure)",
# "failure notice", "Undeliverable: ...", "Mail delivery failed", "Delivery failure"
SUBJECT = re.compile(
    r"undeliver|returned mail|delivery (?:status|fail|notification|problem)|failure notice|mail delivery"
    r"|could not be delivered|non[- ]?delivery|rejected|bounced?\b|mail system error",
    re.IGNORECASE,
)
DELAY_SUBJECT = re.compile(r"delay|warning|still being retried|not yet been delivered", re.IGNORECASE)
# Lines that say something a server said: "550 5.1.1 <a@example.org>: User unknown", "#5.1.1", "4.4.7"
CODED_LINE = re.compile(r"^.*(?:\b[245]\d\d[ -]|\b[245]\.\d{1,3}\.\d{1,3}\b).*$", re.M)
# where the returned original starts in the text
ORIGINAL = re.compile(r"^(?:Received|Return-Path|Message-I[Dd]|DKIM-Signature): ", re.M)


class Generic:
    name = "generic"

    def detect(self, message: MessageView) -> Extraction | None:
        if not _looks_like_bounce(message):
            return None
        addresses = header_list(message.header("x-failed-recipients"))
        if not addresses and message.original is not None:
            # one addressee of the returned original: that is who it could not reach
            to = header_list(message.original.get("to"))
            addresses = to if len(to) == 1 else []
        if not addresses:
            return None
        text = message.text
        cut_at = ORIGINAL.search(text)
        notice = text[: cut_at.start()] if cut_at else text
        coded = [squeeze(line) for line in CODED_LINE.findall(notice) if not STATUS.fullmatch(line.strip())]
        words = " ".join(coded) or squeeze(notice)[:500]
        action = Action.DELAYED if DELAY_SUBJECT.search(message.subject) else Action.FAILED
        recipients = tuple(facts_from_block(a, words, action=action) for a in addresses if bare_address(a))
        if not recipients:
            return None
        return Extraction(mta=self.name, recipients=recipients, reporting_mta=sender_domain(message))


def _looks_like_bounce(message: MessageView) -> bool:
    """A bounce by its envelope: two of daemon sender, bounce subject, report type, X-Failed-Recipients."""
    local = message.from_address.partition("@")[0]
    signals = (
        local in DAEMONS or message.from_address == "",
        SUBJECT.search(message.subject) is not None,
        message.report_type == "delivery-status",
        "x-failed-recipients" in message.headers,
    )
    return sum(signals) >= 2


DETECTOR = Generic()
