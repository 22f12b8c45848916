"""Email service providers' bounce notices read from their human text: SendGrid and Mailgun;
used by the registry after `rfc3464` (their relays usually attach a DSN part as well).
"""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.plaintext import bare_address, facts_from_block, first_reading
from bot.bounces.message import MessageView

# "This is an automatically generated message from SendGrid."
SENDGRID = "This is an automatically generated message from SendGrid"
# "user:000000:<kijitora@example.jp> : 192.0.2.250 : mx.example.jp:[192.0.2.153] :
#  550 5.1.1 <...>... User Unknown  in RCPT TO"
SENDGRID_LINE = re.compile(
    r"^\S*<(?P<addr>[^>\s]+@[^>\s]+)>\s*:\s*[\d.:a-fA-F]+\s*:\s*(?P<host>[\w.-]*)(?::\[[^\]]*\])?\s*:\s*(?P<words>.+)$",
    re.M)
# " in RCPT TO", " in DATA" at the end of SendGrid's line
SENDGRID_COMMAND = re.compile(r"\bin (RCPT TO|MAIL FROM|DATA)\s*$")
# Mailgun: "Your message was not delivered to kijitora@example.org because ..." /
# "Server response: 550 5.1.1 The email account that you tried to reach does not exist."
MAILGUN = re.compile(r"Your message (?:was not|could not be) delivered to <?([^\s<>]+@[\w.-]+\w)")
MAILGUN_RESPONSE = re.compile(r"^(?:Server response|Error|Diagnostic code):\s*(.+)$", re.M)


def _sendgrid(message: MessageView) -> list[RecipientFacts]:
    if SENDGRID not in message.text:
        return []
    recipients = []
    for line in SENDGRID_LINE.finditer(message.text):
        command = SENDGRID_COMMAND.search(line.group("words"))
        recipients.append(facts_from_block(
            line.group("addr").lower(), SENDGRID_COMMAND.sub("", line.group("words")),
            remote_mta=line.group("host").lower() or None,
            command=command.group(1).split()[0] if command else None))
    return recipients


def _mailgun(message: MessageView) -> list[RecipientFacts]:
    # X-Mailgun-Sid: WyI0ZjBhNyIsICJraWppdG9yYUBleGFtcGxlLm9yZyJd
    if "x-mailgun-sid" not in message.headers and "mailgun" not in message.header("from").lower():
        return []
    found = MAILGUN.search(message.text)
    address = bare_address(found.group(1)) if found else None
    if found is None or address is None:
        return []
    response = MAILGUN_RESPONSE.search(message.text)
    return [facts_from_block(address, response.group(1) if response else found.group(0))]


class ESP:
    name = "esp"

    def detect(self, message: MessageView) -> Extraction | None:
        return first_reading(message, (("sendgrid", _sendgrid), ("mailgun", _mailgun)))


DETECTOR = ESP()
