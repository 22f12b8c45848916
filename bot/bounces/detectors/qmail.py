"""qmail's (and netqmail, vpopmail, qmail-ldap) plain-text bounces; used by the registry."""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction
from bot.bounces.detectors.plaintext import (
    PhraseTable,
    after,
    cut,
    facts_from_block,
    find_status,
    hint,
    recipient_blocks,
    sender_domain,
)
from bot.bounces.message import MessageView
from bot.models import Reason

# "Hi. This is the qmail-send program at example.co.jp."
STARTS = ("Hi. This is the qmail",)
# "--- Below this line is a copy of the message.", "--- Enclosed is a copy of the message."
BOUNDARIES = ("--- Below this line is a copy of the message", "--- Enclosed is a copy of the message",
              "--- Below the next line is a copy of the message")
# "<kijitora@example.jp>:"
RECIPIENT = re.compile(r"^(?:To\s*:)?\s*<(?P<addr>[^>\s]+@[^>\s]+)>:\s*$")
# "Giving up on 192.0.2.135.", "Connected to 192.0.2.1 but sender was rejected.",
# "192.0.2.135 does not like recipient.", "74.125.204.27 failed after I sent the message."
REMOTE = re.compile(
    r"(?:Giving up on|Connected to)\s+([\w.:-]+\w)"
    r"|(?<![\w.:-])([\w.:-]+\w) (?:does not like recipient|failed after I sent|failed on DATA command)"
)
# "Connected to 192.0.2.135 but sender was rejected." / "... but my name was rejected." /
# "Sorry, no SMTP connection got far enough; most progress was RCPT TO"
COMMANDS = (
    (re.compile(r"but sender was rejected"), "MAIL"),
    (re.compile(r"but my name was rejected|but greeting failed"), "HELO"),
    (re.compile(r"does not like recipient"), "RCPT"),
    (re.compile(r"failed on DATA command|failed after I sent the message"), "DATA"),
    (re.compile(r"most progress was (RCPT|MAIL|DATA)"), ""),
)
# "I'm not going to try again; this message has been in the queue too long."
EXPIRED = "this message has been in the queue too long"

# qmail's own words (qmail-remote.c, qmail-local.c, qmail-ldap); the remote server's need no help.
MESSAGES: PhraseTable = (
    (Reason.HOSTUNKNOWN, ("sorry, i couldn't find any host ",)),
    (Reason.NETWORKERROR, ("sorry, i wasn't able to establish an smtp connection",
                           "sorry, i couldn't find a mail exchanger or ip address",
                           "although i'm listed as a best-preference mx or a for that host")),
    (Reason.USERUNKNOWN, ("no mailbox here by that name",)),
    (Reason.MAILBOXFULL, ("disk quota exceeded",)),
    (Reason.MESGTOOBIG, ("message size exceeds fixed maximum message size",)),
    (Reason.SYSTEMFULL, ("mailbox unavailable (not enough free space)",)),
    # "vdelivermail: account is locked email bounced kijitora@example.co.jp" (vpopmail)
    (Reason.SUSPEND, ("account is locked", "mailaddress is administratively disabled",
                      "mailaddress is administrativley disabled")),
    (Reason.EXCEEDLIMIT, ("the message exeeded the maximum size the user accepts",)),
    (Reason.SYSTEMERROR, ("automatic homedir creator crashed", "illegal value in ldap attribute",
                          "ldap attribute is not given but mandatory", "unable to contact ldap server",
                          "temporary failure in ldap lookup", "bad interpreter: no such file or directory")),
)


class Qmail:
    name = "qmail"

    def detect(self, message: MessageView) -> Extraction | None:
        section = after(message.text, STARTS)
        if section is None:
            return None
        return read_qmail_section(message, self.name, cut(section, BOUNDARIES))


def read_qmail_section(message: MessageView, name: str, section: str) -> Extraction | None:
    """Recipients of a qmail-style section: "<address>:" lines, each followed by its story."""
    recipients = []
    for block in recipient_blocks(section.split("\n"), RECIPIENT):
        if not block.recipient:
            continue
        text = block.text
        remote = REMOTE.search(text)
        command = next((word or match.group(1) for pattern, word in COMMANDS
                        if (match := pattern.search(text))), None)
        reason = hint(text, MESSAGES)
        if reason is None and EXPIRED in text and _unspecific(find_status(text)):
            reason = Reason.EXPIRED
        # "Remote host said: 550 5.1.1 <kijitora@example.jp>... User Unknown"
        said = text.partition("Remote host said:")[2] or text
        recipients.append(facts_from_block(
            block.recipient, text, remote_mta=(remote.group(1) or remote.group(2)) if remote else None,
            command=command, reason=reason, status=find_status(said)))
    if not recipients:
        return None
    return Extraction(mta=name, recipients=tuple(recipients), reporting_mta=sender_domain(message))


def _unspecific(status: str | None) -> bool:
    """No code, or one that names no cause (4.0.0, 5.0.0)."""
    return status is None or status[2:] == "0.0"


DETECTOR = Qmail()
