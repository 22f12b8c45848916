"""Google Workspace's relay bounces without a DSN part: a "** Message not delivered **" headline
and Google's words, the recipient named only by the returned original; used by the registry
after `gmail` (which reads the bounces that list their recipients).

The layout is Sisimai's GoogleWorkspace decoder: From <mailer-daemon@googlemail.com>, a Subject
"Delivery Status Notification ...", no Final-Recipient/Diagnostic-Code fields, the words from the
"** ... **" headline on ("The response was:" / "The response from the remote server was:").
"""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction
from bot.bounces.detectors.plaintext import PhraseTable, bare_address, cut, facts_from_block, header_list, hint
from bot.bounces.message import MessageView, squeeze
from bot.models import Action, Reason

# "** Message not delivered **", "** Address not found **" (a line of its own)
HEADLINE = re.compile(r"^\*\* [^\n*]{1,80} \*\*[^\S\n]*$", re.M)
# "Your message wasn't delivered to kijitora@example.org because the address couldn't be found."
DELIVERED_TO = re.compile(r"wasn't delivered to (\S{1,320})")
BOUNDARIES = ("Content-Type: message/rfc822", "Content-Type: text/rfc822-headers", "----- Original message -----")
# Google's own words (Sisimai's GoogleWorkspace table)
MESSAGES: PhraseTable = (
    (Reason.USERUNKNOWN, ("because the address couldn't be found. check for typos or unnecessary spaces",)),
    (Reason.NOTACCEPT, ("null mx",)),
    (Reason.NETWORKERROR, (" had no relevant answers.", " responded with code nxdomain")),
)


class GoogleWorkspace:
    name = "googleworkspace"

    def detect(self, message: MessageView) -> Extraction | None:
        if message.from_address != "mailer-daemon@googlemail.com":
            return None
        if "Delivery Status Notification" not in message.subject:
            return None
        if "\nFinal-Recipient:" in message.body or "\nDiagnostic-Code:" in message.body:
            return None
        headline = HEADLINE.search(message.text)
        if headline is None:
            return None
        # "(Delay)" / "** Message delayed **": a warning, never a failure
        delayed = "(Delay)" in message.subject or "delayed" in headline.group(0).lower()
        words = squeeze(cut(message.text[headline.start():], BOUNDARIES))
        named = DELIVERED_TO.search(words + " ")
        address = bare_address(named.group(1)) if named else None
        if address is None:
            failed = header_list(message.header("x-failed-recipients"))
            original_to = header_list(message.original.get("to")) if message.original is not None else []
            named_elsewhere = failed or original_to
            if not named_elsewhere:
                return None
            address = named_elsewhere[0]
        facts = facts_from_block(address, words, reason=hint(words, MESSAGES),
                                 action=Action.DELAYED if delayed else Action.FAILED)
        return Extraction(mta=self.name, recipients=(facts,), reporting_mta="googlemail.com")


DETECTOR = GoogleWorkspace()
