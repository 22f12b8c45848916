"""Postfix's plain-text bounces (old Postfix without a DSN part) and its postmaster transcripts.

Postfix bounces with a `message/delivery-status` part are read by `rfc3464` before this detector.
"""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction
from bot.bounces.detectors.plaintext import (
    bare_address,
    facts_from_block,
    find_command,
    recipient_blocks,
    sender_domain,
)
from bot.bounces.message import MessageView

# "This is the Postfix program at host smtp.example.jp." / "This is the mail system at host mx.example.org."
# and renamed builds: "This is the Example Postfix program", "This is the ExampleMail program at host ..."
START = re.compile(r"^This is the (?:mail system at host|(?:\w+ )?Postfix program|\w+ program at host)", re.M)
# Older Postfix (and renamed builds) sign the notice with an indented line of its own instead:
# "\t\t\tThe Postfix program", "The Postfix on FreeBSD program", "The Example Postfix program",
# "The mail system", "The ExampleMail program" (Sisimai's Postfix markers); only under Postfix's Subject
SIGNED = re.compile(r"^[ \t]+The (?:Postfix(?: on [^\n]{1,40})? program|\w+ Postfix program|mail system|\w+ program)"
                    r"[ \t]*$", re.M)
SUBJECT = "Undelivered Mail Returned to Sender"
# "<kijitora@example.jp>: host mx.example.jp[192.0.2.22] said: 550 <kijitora@example.jp>: User unknown"
# "<kijitora@example.jp> (expanded from <neko@example.jp>): user unknown"
RECIPIENT = re.compile(r"^<(?P<addr>[^>\s]+@[^>\s]+)>(?: \(expanded from <[^>]*>\))?:\s")
# "    mx.example.jp[192.0.2.22] said: 550" (continuation lines are indented)
CONTINUATION_STOP = re.compile(r"^\S")
# "host mx.example.jp[192.0.2.22] said:", "connect to mx.example.jp[192.0.2.22]:25: Connection refused"
REMOTE = re.compile(r"(?:host|connect to) ([A-Za-z0-9][\w.-]*)\[")
# "(in reply to RCPT TO command)", "(in reply to end of DATA command)"
IN_REPLY = re.compile(r"\(in reply to (RCPT|MAIL|end of DATA|DATA|HELO|EHLO)", re.IGNORECASE)
# "Transcript of session follows." over " Out: 451 4.3.0 Error: queue file write error"
TRANSCRIPT = "Transcript of session follows."
RCPT_IN = re.compile(r"^ In:\s+RCPT TO:\s*<([^>]+)>", re.M)
OUT_ERROR = re.compile(r"^ Out: ([45]\d\d[ -].*)$", re.M)


class Postfix:
    name = "postfix"

    def detect(self, message: MessageView) -> Extraction | None:
        start = START.search(message.text)
        if start is not None:
            return self._notice(message, message.text[start.start():])
        signed = SIGNED.search(message.text) if message.subject == SUBJECT else None
        if signed is not None:
            return self._notice(message, message.text[signed.end():])
        # Subject: Postfix SMTP server: errors from localhost[127.0.0.1]
        if message.subject.startswith("Postfix SMTP server: errors from") and TRANSCRIPT in message.text:
            return self._transcript(message)
        return None

    def _notice(self, message: MessageView, section: str) -> Extraction | None:
        recipients = []
        for block in recipient_blocks(section.split("\n"), RECIPIENT, stop=CONTINUATION_STOP):
            text = block.text
            remote = REMOTE.search(text)
            command = IN_REPLY.search(text)
            # "host mx.example.org[192.0.2.1] refused to talk to me: 554 ..." (the greeting)
            helo = "HELO" if "refused to talk to me" in text else None
            recipients.append(facts_from_block(
                block.recipient, text, remote_mta=remote.group(1).lower() if remote else None,
                command=command.group(1).split()[-1].upper() if command else helo or find_command(text)))
        if not recipients:
            return None
        host = re.search(r" at host ([\w.-]+\w)", section[:200])
        return Extraction(mta=self.name, recipients=tuple(recipients), reporting_mta=host.group(1) if host else None)

    def _transcript(self, message: MessageView) -> Extraction | None:
        #  In:  RCPT TO:<kijitora@example.net> ORCPT=rfc822;kijitora@example.net
        #  Out: 451 4.3.0 Error: queue file write error
        addresses = [a for a in (bare_address(m.group(1)) for m in RCPT_IN.finditer(message.text)) if a]
        errors = OUT_ERROR.findall(message.text)
        if not addresses or not errors:
            return None
        words = errors[-1]
        recipients = tuple(facts_from_block(a, words, command="DATA" if "\n In:  DATA" in message.text else None)
                           for a in dict.fromkeys(addresses))
        return Extraction(mta=self.name, recipients=recipients, reporting_mta=sender_domain(message))


DETECTOR = Postfix()
