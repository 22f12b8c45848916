"""Unnamed MTAs' plain-text bounces that follow no vendor's wording but a recognisable layout
(Sisimai's X1-X6 family, Exim 3's "Failed addresses follow:"); used by the registry.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.plaintext import ADDRESS, bare_address, cut, facts_from_block, find_command
from bot.bounces.detectors.qmail import read_qmail_section
from bot.bounces.message import MessageView, squeeze

# qmail clones: "Message from example.jp." / "Unable to deliver message to the following address(es)."
# then qmail's "<kijitora@example.jp>:" blocks and "--- Original message follows."
# (Sisimai's X4 list of openings: vpopmail, hosting panels, localized qmail builds)
QMAIL_CLONE = re.compile(
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
QMAIL_CLONE_END = ("--- Original message follows.", "--- Below this line is a copy of the message")
# "Delevery to the following recipients failed permanently:" / "   * kijitora@example.co.jp" /
# "Technical details:" / "SMTP:RCPT host 192.0.2.233: 553 5.3.0 <kijitora@example.co.jp>... No such user here"
BULLETS = re.compile(r"^\s*\*\s+(\S+@\S+)\s*$", re.M)
TECHNICAL = "Technical details:"
SMTP_HOST = re.compile(r"SMTP:(\w+) host ([\w.:-]+\w): (.+)")
# "SMTP Server <smtpd.example.org> rejected recipient <kijitora@example.org> (Error following RCPT command).
#  It responded as follows: [550 5.1.1 User unknown]"
REJECTED = re.compile(
    r"SMTP Server <([^>\n]*)> rejected recipient <([^>\s]+@[^>\s]+)>"
    r"[^\n]{0,200}?It responded as follows: \[([^\]\n]*)\]")
# "|------------------------- Failed addresses follow: ---------------------|"
# " kijitora@example.com ... unknown host"
FAILED_FOLLOW = re.compile(r"^\|-+ Failed addresses follow: -+\|\s*$", re.M)
SECTION_BAR = re.compile(r"^\|-+ [^|]+ -+\|\s*$", re.M)


def _qmail_clone(message: MessageView, name: str) -> Extraction | None:
    start = QMAIL_CLONE.search(message.text)
    if start is None:
        return None
    return read_qmail_section(message, name, cut(message.text[start.start():], QMAIL_CLONE_END))


def _bullets(message: MessageView, name: str) -> Extraction | None:
    # "This is an automatically generated Delivery Status Notification." above the bullets
    if TECHNICAL not in message.text and "Delivery Status Notification" not in message.text:
        return None
    addresses = [a for a in (bare_address(m.group(1)) for m in BULLETS.finditer(message.text)) if a]
    if not addresses:
        return None
    details = message.text.partition(TECHNICAL)[2]
    smtp = SMTP_HOST.search(details)
    words = smtp.group(3) if smtp else squeeze(details.split("=====", 1)[0])
    recipients = tuple(facts_from_block(a, words, command=smtp.group(1).upper() if smtp else None,
                                        remote_mta=smtp.group(2) if smtp else None) for a in addresses)
    return Extraction(mta=name, recipients=recipients)


def _rejected(message: MessageView, name: str) -> Extraction | None:
    recipients: list[RecipientFacts] = []
    for found in REJECTED.finditer(message.text):
        address = bare_address(found.group(2))
        if address:
            recipients.append(facts_from_block(address, found.group(3), remote_mta=found.group(1).lower() or None,
                                               command=find_command(squeeze(found.group(0)))))
    return Extraction(mta=name, recipients=tuple(recipients)) if recipients else None


def _failed_follow(message: MessageView, name: str) -> Extraction | None:
    start = FAILED_FOLLOW.search(message.text)
    if start is None:
        return None
    end = SECTION_BAR.search(message.text, start.end())
    section = message.text[start.end(): end.start() if end else None]
    log = message.text[: start.start()]
    recipients = []
    for line in section.split("\n"):
        # " kijitora@neko.example.com ... unknown host"
        found = ADDRESS.search(line)
        if found:
            words = squeeze(line[found.end():].lstrip(" .:") + " " + SECTION_BAR.sub(" ", log))
            recipients.append(facts_from_block(found.group(0).lower(), words))
    return Extraction(mta=name, recipients=tuple(recipients)) if recipients else None


READERS: tuple[tuple[str, Callable[[MessageView, str], Extraction | None]], ...] = (
    ("x-qmail-clone", _qmail_clone),
    ("x-bullets", _bullets),
    ("x-rejected-recipient", _rejected),
    ("x-failed-addresses", _failed_follow),
)


class XStyle:
    name = "xstyle"

    def detect(self, message: MessageView) -> Extraction | None:
        for name, reader in READERS:
            found = reader(message, name)
            if found is not None:
                return found
        return None


DETECTOR = XStyle()
