"""qmail clones' plain-text bounces (Sisimai's X4: vpopmail, hosting panels, localized qmail
builds) that open with their own sentence instead of qmail's; used by the registry after `qmail`."""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction
from bot.bounces.detectors.plaintext import cut
from bot.bounces.detectors.qmail import read_qmail_section
from bot.bounces.message import MessageView

# "Message from example.jp." / "Unable to deliver message to the following address(es)."
# then qmail's "<kijitora@example.jp>:" blocks and "--- Original message follows."
START = re.compile(
    r"^(?:Unable to deliver message to the following address"
    r"|Hi\. .+ unable to deliver your message to the following addresses"
    r"|Su mensaje no pudo ser entregado"
    r"|This is the machine generated message from mail service"
    r"|Unfortunately, your mail was not delivered to the following address:"
    r"|Your mail message to the following address"
    r"|Your message to the following addresses"
    r"|He/Her is not .+ user"
    r"|We're sorry\.)",
    re.M)
END = ("--- Original message follows.", "--- Below this line is a copy of the message")


class QmailClone:
    name = "x-qmail-clone"

    def detect(self, message: MessageView) -> Extraction | None:
        start = START.search(message.text)
        if start is None:
            return None
        return read_qmail_section(message, self.name, cut(message.text[start.start():], END))


DETECTOR = QmailClone()
