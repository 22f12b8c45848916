"""MailMarshal SMTP's (Trustwave Secure Email Gateway) "Undeliverable Mail" notices; used by the registry.

The layout is Sisimai's MailMarshalSMTP decoder: the Subject 'Undeliverable Mail: "<subject>"', the
words after "Could not be delivered because of", the recipients indented under "The following
recipients were affected:", then "Additional Information" with the hosts.
"""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction
from bot.bounces.detectors.plaintext import bare_address, facts_from_block
from bot.bounces.message import MessageView, squeeze

SUBJECT = 'Undeliverable Mail: "'
# "Your message:" / "   From:    sender@example.com" / "   Subject: Hello" opens the notice
START = "Your message:"
# "Could not be delivered because of" / "" / "550 5.1.1 User unknown" / ""
ERROR = "Could not be delivered because of"
# "The following recipients were affected:" / "    kijitora@example.org"
AFFECTED = "The following recipients were affected:"
RECIPIENT = re.compile(r"^ {4}([^ ]+@[^ ]+)$")
# "Reporting-MTA:      <relay.example.net>"
REPORTING = re.compile(r"^Reporting-MTA:[ \t]+<(.+)>$", re.M)
# "Additional Information" / "======================" / "Original Sender:    <sender@example.com>"
END = re.compile(r"^(?:Additional Information|[ \t]*\++[ \t]*$)")


class MailMarshal:
    name = "mailmarshal"

    def detect(self, message: MessageView) -> Extraction | None:
        if not message.subject.startswith(SUBJECT):
            return None
        _, started, text = message.text.partition(START)
        if not started or AFFECTED not in text:
            return None
        notice, _, affected = text.partition(AFFECTED)
        _, said, error = notice.partition(ERROR)
        words = squeeze(error) if said else ""
        addresses: list[str] = []
        for line in affected.split("\n")[1:]:
            if END.match(line):
                break
            found = RECIPIENT.match(line)
            address = bare_address(found.group(1)) if found else None
            if address and address not in addresses:
                addresses.append(address)
        if not addresses:
            return None
        reporting = REPORTING.search(affected)
        return Extraction(mta=self.name, recipients=tuple(facts_from_block(a, words or ERROR) for a in addresses),
                          reporting_mta=reporting.group(1).lower() if reporting else None)


DETECTOR = MailMarshal()
