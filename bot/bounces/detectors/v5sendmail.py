"""Sendmail version 5's bounces: a session transcript with one "550 <address>... words" line per
recipient and no list above it; used by the registry before `sendmail`, which reads V8's list.

The layout is Sisimai's V5sendmail decoder (sendmail 5's savemail.c): "Returned mail: ..." as the
Subject, "----- Transcript of session follows -----", then "----- Unsent message follows -----"
(or "----- No message was collected -----") before the returned original.
"""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.plaintext import bare_address, facts_from_block, text_extraction
from bot.bounces.detectors.sendmail import ADDRESSES, TRANSCRIPT
from bot.bounces.message import MessageView, squeeze

# "Returned mail: User unknown", "Returned mail: Deferred: Connection timed out ..."
SUBJECT = re.compile(r"Returned mail: [A-Z]")
# "   ----- Unsent message follows -----" / "   ----- No message was collected -----"
END = re.compile(r"^[^\S\n]+-----[^\S\n](?:Unsent message follows|No message was collected)[^\S\n]-----", re.M)
# "550 <kijitora@example.org>... User unknown" (sendmail's own line for one recipient)
RECIPIENT = re.compile(r"^\d{3} +<([^ ]+@[^ ]+)>\.{3} *(.+)$")
# ">>> RCPT To:<kijitora@example.org>"
SENT = re.compile(r"^>{3} *([A-Z]{4})")
# "<<< 550 <kijitora@example.org>, User Unknown" (the remote server's reply)
SAID = re.compile(r"^<{3} +(.+)$")
# "421 example.org (smtp)... Deferred: Connection timed out during user open with example.org"
OTHER = re.compile(r"^\d{3} +\S.*\.{3}")
# "While talking to mx.example.org:", "... while talking to mta.example.org.:"
TALKING = re.compile(r"while talking to ([\w.-]+\w)\.?:", re.IGNORECASE)


class V5Sendmail:
    name = "v5sendmail"

    def detect(self, message: MessageView) -> Extraction | None:
        text = message.text
        if not SUBJECT.match(message.subject) or TRANSCRIPT not in text or ADDRESSES.search(text):
            return None
        start = text.find(TRANSCRIPT) + len(TRANSCRIPT)
        end = END.search(text, start)
        if end is None:
            return None
        transcript = text[start: end.start()]
        remote = TALKING.search(transcript)
        host = remote.group(1).lower() if remote else None
        recipients = _recipients(transcript, host)
        if not recipients:
            # "421 example.org (smtp)... Deferred: ..." and no recipient line: the original's To: was refused
            address = bare_address(message.original.get("to")) if message.original else None
            other = [line for line in transcript.split("\n") if OTHER.match(line)]
            if address is None or not other:
                return None
            recipients = [facts_from_block(address, other[-1], remote_mta=host)]
        return text_extraction(self.name, message, recipients)


def _recipients(transcript: str, host: str | None) -> list[RecipientFacts]:
    """One recipient per "550 <address>... words" line, with the command sent and the reply said before it."""
    recipients: list[RecipientFacts] = []
    command: str | None = None
    said = ""
    for line in transcript.split("\n"):
        if sent := SENT.match(line):
            command, said = sent.group(1), ""
        elif reply := SAID.match(line):
            said = reply.group(1)
        elif listed := RECIPIENT.match(line):
            address = bare_address(listed.group(1))
            if address:
                words = said or squeeze(listed.group(0))
                recipients.append(facts_from_block(address, words, remote_mta=host, command=command))
            command, said = None, ""
    return recipients


DETECTOR = V5Sendmail()
