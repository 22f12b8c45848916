"""MDaemon's (Alt-N) plain-text notices: "The attached message had PERMANENT fatal delivery errors!"
and a session transcript; used by the registry.

The layout is flufl.bounce's `SimpleMatch` MDaemon entry ("The following addresses did NOT receive
a copy of your message:", then "> address" lines, up to "--- Session Transcript ---") plus the
transcript MDaemon writes below it, which carries the remote server's reply.
"""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.plaintext import bare_address, facts_from_block, sender_domain
from bot.bounces.message import MessageView
from bot.models import Action

# "The attached message had PERMANENT fatal delivery errors!" / "...has been delayed" (warning)
HEADLINE = re.compile(r"The attached message (?:had PERMANENT fatal delivery errors|has not yet been delivered"
                      r"|had (?:TEMPORARY|transient) delivery errors)", re.IGNORECASE)
# "The following addresses did NOT receive a copy of your message:"
LIST_START = "The following addresses did NOT receive a copy of your message:"
# ">    kijitora@example.org" (the list), up to "--- Session Transcript ---"
LISTED = re.compile(r"^>\s*(\S+@\S+)", re.MULTILINE)
TRANSCRIPT = "--- Session Transcript ---"
# " Mon 2026-03-02 10:15:04: --> RCPT To:<kijitora@example.org>"
# " Mon 2026-03-02 10:15:04: <-- 550 5.1.1 <kijitora@example.org>: Recipient address rejected: User unknown"
SENT_RCPT = re.compile(r"-->\s*RCPT TO:\s*<([^>\s]+)>", re.IGNORECASE)
REPLY = re.compile(r"<--\s*([245]\d\d.*)$")
# " Mon 2026-03-02 10:15:02: Attempting SMTP connection to [mx.example.org : 25]"
CONNECTING = re.compile(r"Attempting SMTP connection to \[([\w.-]+)")


class MDaemon:
    name = "mdaemon"

    def detect(self, message: MessageView) -> Extraction | None:
        text = message.text
        mdaemon = "x-mdaemon-deliver-to" in message.headers or message.from_address.startswith("mdaemon@")
        if not (mdaemon or HEADLINE.search(text) or LIST_START in text):
            return None
        action = Action.DELAYED if "not yet been delivered" in text or "TEMPORARY" in text else Action.FAILED
        listed, _, transcript = text.partition(TRANSCRIPT)
        replies = _transcript_replies(transcript)
        addresses = [a for a in (bare_address(m) for m in LISTED.findall(listed.partition(LIST_START)[2])) if a]
        addresses = list(dict.fromkeys(addresses or list(replies)))
        host = CONNECTING.search(transcript)
        recipients: list[RecipientFacts] = [
            facts_from_block(address, replies.get(address, "") or _headline(text), action=action, command="RCPT"
                             if address in replies else None, remote_mta=host.group(1).lower() if host else None)
            for address in addresses
        ]
        if not recipients:
            return None
        return Extraction(mta=self.name, recipients=tuple(recipients), reporting_mta=sender_domain(message))


def _transcript_replies(transcript: str) -> dict[str, str]:
    """The reply that answered each "--> RCPT To:<address>" of the transcript, by address."""
    replies: dict[str, str] = {}
    pending: str | None = None
    for line in transcript.split("\n"):
        sent = SENT_RCPT.search(line)
        if sent:
            pending = sent.group(1).lower()
            continue
        reply = REPLY.search(line)
        if reply and pending is not None:
            if reply.group(1)[0] in "45":
                replies[pending] = reply.group(1).strip()
            pending = None
    return replies


def _headline(text: str) -> str:
    found = HEADLINE.search(text)
    return found.group(0) if found else LIST_START


DETECTOR = MDaemon()
