"""Bigfoot's (bigfoot.com, a forwarding service) bounces: a Sendmail-style transcript over RFC 3464
fields; used by the registry before `sendmail`'s DSN reader and `rfc3464`, whose reading of the
fields (completed from the transcript) it relabels, adding the SMTP command and reply it names.

The layout is Sisimai's Bigfoot decoder: From ...@bigfoot.com or a Received by a .bigfoot.com host,
"   ----- Transcript of session follows -----" (indented), ">>> RCPT TO:<...>" and "<<< 553 ..." lines,
then the delivery-status fields; the returned original is a message/partial.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.bounces.detectors import rfc3464, sendmail
from bot.bounces.detectors.base import Extraction
from bot.bounces.detectors.plaintext import consistent, find_reply_code
from bot.bounces.message import MessageView

# "   ----- Transcript of session follows -----" (indented, unlike Sendmail's)
TRANSCRIPT = re.compile(r"^[ \t]+-+[ \t]*Transcript of session follows", re.M)
# ">>> RCPT TO:<kijitora@example.org>" / "<<< 553 Invalid recipient kijitora@example.org (Mode: normal)"
SENT = re.compile(r"^>>>[ ]+([A-Z]{4})", re.M)
REPLY = re.compile(r"^<<<[ ]+(\S[^\n]*)$", re.M)


class Bigfoot:
    name = "bigfoot"

    def detect(self, message: MessageView) -> Extraction | None:
        if not _bigfoot(message):
            return None
        start = TRANSCRIPT.search(message.body)
        if start is None:
            return None
        read = sendmail.WITH_DSN.detect(message) or rfc3464.DETECTOR.detect(message)
        if read is None or not read.recipients:
            return None
        sent = SENT.findall(message.body, start.end())
        replies = REPLY.findall(message.body, start.end())
        # the last command sent is the one refused; no command but a reply: the greeting (Sisimai: EHLO)
        command = sent[-1] if sent else "HELO" if replies else None
        said = replies[-1].strip() if replies else ""
        recipients = []
        for facts in read.recipients:
            diagnostic = facts.diagnostic or said
            _, reply_code = consistent(facts.status, facts.reply_code or (find_reply_code(said) if said else None))
            recipients.append(replace(facts, command=facts.command or command, diagnostic=diagnostic,
                                      reply_code=reply_code))
        return replace(read, mta=self.name, recipients=tuple(recipients))


def _bigfoot(message: MessageView) -> bool:
    if message.from_address.endswith("@bigfoot.com"):
        return True
    return any(".bigfoot.com" in value for value in message.headers.get_all("received"))


DETECTOR = Bigfoot()
