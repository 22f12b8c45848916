"""WebSense SurfControl E-mail Filter's notices ("Your message could not be sent."); used by the
registry. Its notices with a `message/delivery-status` part are read by `rfc3464` first.

The layout is Sisimai's SurfControl decoder: "X-Mailer: SurfControl E-mail Filter", then a
transcript of the attempts, one "Addressed To:" per recipient and the host's reply under it.
"""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.plaintext import bare_address, facts_from_block, text_extraction
from bot.bounces.message import MessageView

MAILER = "SurfControl E-mail Filter"
START = "Your message could not be sent."
# "Addressed To: kijitora@example.com"
ADDRESSED = re.compile(r"^Addressed To:[ ]*([^ ]+?@[^ ]+?)$")
# "kijitora@example.com: [192.0.2.5], 550 kijitora@example.com... No such user"
# What ^[^ ]+@[^ ]+:[ ]*\[(\d+\.\d+\.\d+\.\d+)\],[ ]*(.+)$ reads, without retrying each "@" against
# each ":" after it (0.8 s on a 30 KB line of "@"): which "@" it takes never changes what is read,
# so the first one after the first character does, and the last ":" that leads to an IP is taken.
REPLY = re.compile(r"^[^ ][^ @]*+@[^ ][^ ]*:[ ]*\[(\d++\.\d++\.\d++\.\d++)\],[ ]*(.+)$")
# "--- Message non-deliverable." ends the transcript
END = "--- Message non-deliverable."


class SurfControl:
    name = "surfcontrol"

    def detect(self, message: MessageView) -> Extraction | None:
        if message.header("x-mailer") != MAILER or "x-sef-processed" not in message.headers:
            return None
        _, started, transcript = message.text.partition(START)
        if not started:
            return None
        recipients: list[RecipientFacts] = []
        address: str | None = None
        for line in transcript.partition(END)[0].split("\n"):
            if addressed := ADDRESSED.match(line):
                if address:
                    recipients.append(facts_from_block(address, START))  # no reply under it
                address = bare_address(addressed.group(1))
            elif (reply := REPLY.match(line)) and address:
                recipients.append(facts_from_block(address, reply.group(2), remote_mta=reply.group(1)))
                address = None
        if address:
            recipients.append(facts_from_block(address, START))
        return text_extraction(self.name, message, recipients)


DETECTOR = SurfControl()
