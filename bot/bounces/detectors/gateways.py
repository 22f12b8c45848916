"""Mail gateways' and appliance MTAs' plain-text bounces: Trend Micro InterScan MSS, MailFoundry,
m-FILTER, Ipswitch IMail, and the human notice of Barracuda and MessageLabs (Symantec) when their
DSN part is missing; used by the registry. Gateways' RFC 3464 parts are read by `rfc3464` first.
"""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.plaintext import (
    ADDRESS,
    PhraseTable,
    Reader,
    bare_address,
    facts_from_block,
    first_reading,
    hint,
)
from bot.bounces.message import MessageView, squeeze
from bot.models import Reason

# InterScan: "Sent <<< RCPT TO:<kijitora@example.co.jp>" / "Received >>> 550 5.1.1 <...>... user unknown"
INTERSCAN_SENT = re.compile(r"^Sent <<< (RCPT|MAIL|DATA)\w*(?: TO| FROM)?:?\s*<?([^>\s]*)>?", re.M)
INTERSCAN_RECEIVED = re.compile(r"^Received >>> (.+)$", re.M)
# "Unable to deliver message to <kijitora@example.jp> (and other recipients in the same domain)."
INTERSCAN_UNABLE = re.compile(r"Unable to deliver message to <([^>\s]+@[^>\s]+)>")
# MailFoundry: "Unable to deliver message to: <kijitora@example.org>" /
# "Delivery failed for the following reason:" / "Server mx.example.org[192.0.2.2] failed with: 550 ..."
MAILFOUNDRY_TO = re.compile(r"^Unable to deliver message to: <([^>\s]+@[^>\s]+)>", re.M)
MAILFOUNDRY_WHY = "Delivery failed for the following reason:"
MAILFOUNDRY_HOST = re.compile(r"(?<![\w.-])([\w.-]+\w)\[[\d.:a-fA-F]+\] (?:failed with|responded with failure)")
# m-FILTER: "-------server message" / "550 5.1.1 ..." / "-------SMTP command" / "DATA" / "-------original message"
MFILTER_SECTION = re.compile(r"^-------(server message|SMTP command|original message)\s*$", re.M)
# IMail: "undeliverable to kijitora@example.jp" / "Body of message generated response:" / "550-REJECTED ..."
# or one line: "Unknown user: kijitora@example.jp", "User mailbox exceeds allowed size: kijitora@example.jp"
IMAIL_TO = re.compile(
    r"^(?:undeliverable to|(?!(?:To|CC|Cc|Bcc|From|Reply-To|Sender):)(?P<why>[A-Z][\w ]+):)\s+(?P<addr>\S+@\S+)\s*$",
    re.M)
IMAIL_WHY = "Body of message generated response:"
# IMail's own words (Sisimai's IMailServer table); the remote server's need no help.
IMAIL_MESSAGES: PhraseTable = (
    (Reason.HOSTUNKNOWN, ("unknown host",)),
    (Reason.USERUNKNOWN, ("unknown user", "invalid final delivery userid")),
    (Reason.MAILBOXFULL, ("user mailbox exceeds allowed size",)),
    (Reason.VIRUSDETECTED, ("requested action not taken: virus detected",)),
    (Reason.EXPIRED, ("delivery failed ",)),
)
# "SMTP connection failed,", "Unexpected response to EHLO/HELO:", "Server response to MAIL FROM:",
# "Additional RCPT TO generated following response:", "DATA command generated response:"
IMAIL_COMMANDS = (("SMTP connection failed", "CONN"), ("Unexpected connection response", "CONN"),
                  ("to EHLO/HELO", "HELO"), ("to MAIL FROM", "MAIL"), ("RCPT TO generated", "RCPT"),
                  ("DATA command generated", "DATA"))
# Barracuda: "Your message to: kijitora@example.org" / "was blocked by our Spam Firewall."
BARRACUDA = re.compile(r"^Your message to: (\S+@\S+)\s*\n(was blocked by our Spam Firewall.*)$", re.M)
# MessageLabs: "This is the mail delivery agent at Symantec Email Security.cloud." /
# "I was unable to deliver your message to the following addresses:" / "kijitora@example.org" /
# "Reason: 550 5.1.1 <kijitora@example.org>: Recipient address rejected"
MESSAGELABS = "I was unable to deliver your message to the following addresses:"
MESSAGELABS_REASON = re.compile(r"^Reason: (.+(?:\n(?!\n|The message ).+)*)", re.M)


def _interscan(message: MessageView) -> list[RecipientFacts]:
    if "interscan" not in message.header("from").lower() and "InterScan" not in message.text:
        return []
    unable = INTERSCAN_UNABLE.search(message.text)
    if unable:
        # "Please check if address is correct": InterScan's own recipient check refused it
        words = squeeze(message.text[unable.start():].split("\n\n", 1)[0])
        return [facts_from_block(unable.group(1).lower(), words, reason=Reason.USERUNKNOWN)]
    received = INTERSCAN_RECEIVED.findall(message.text)
    sent = [(command, bare_address(address)) for command, address in INTERSCAN_SENT.findall(message.text)]
    addresses = [a for command, a in sent if command == "RCPT" and a]
    if not received or not addresses:
        return []
    return [facts_from_block(addresses[-1], received[-1], command=sent[-1][0])]


def _mailfoundry(message: MessageView) -> list[RecipientFacts]:
    to = MAILFOUNDRY_TO.search(message.text)
    if to is None or MAILFOUNDRY_WHY not in message.text:
        return []
    words = squeeze(message.text.partition(MAILFOUNDRY_WHY)[2].split("\n\n", 1)[0])
    host = MAILFOUNDRY_HOST.search(words)
    return [facts_from_block(to.group(1).lower(), words, remote_mta=host.group(1).lower() if host else None)]


def _mfilter(message: MessageView) -> list[RecipientFacts]:
    if "m-FILTER" not in message.header("x-mailer") and "m-FILTER" not in message.text:
        return []
    marks = list(MFILTER_SECTION.finditer(message.text))
    if not marks:
        return []
    sections = {m.group(1): message.text[m.end(): (marks[i + 1].start() if i + 1 < len(marks) else None)]
                for i, m in enumerate(marks)}
    # "以下のメールアドレスへの送信に失敗しました。" / "kijitora@example.co.jp"
    addresses = ADDRESS.findall(message.text[: marks[0].start()])
    words = squeeze(sections.get("server message", ""))
    command = squeeze(sections.get("SMTP command", "")).split(" ", 1)[0].upper() or None
    return [facts_from_block(a.lower(), words, command=command) for a in dict.fromkeys(addresses)]


def _imail(message: MessageView) -> list[RecipientFacts]:
    # X-Mailer: <SMTP32 v8.22> / Subject: Undeliverable Mail
    if not message.header("x-mailer").startswith("<SMTP32") and message.subject.strip() != "Undeliverable Mail":
        return []
    to = IMAIL_TO.search(message.text)
    address = bare_address(to.group("addr")) if to else None
    if to is None or address is None:
        return []
    response = message.text.partition(IMAIL_WHY)[2]
    words = squeeze(response.split("\n\n", 1)[0]) if response else to.group("why") or ""
    command = next((c for phrase, c in IMAIL_COMMANDS if phrase in response), None)
    own = f"{to.group('why') or ''} {words}"
    return [facts_from_block(address, words or own, command=command, reason=hint(own, IMAIL_MESSAGES))]


def _barracuda(message: MessageView) -> list[RecipientFacts]:
    found = BARRACUDA.search(message.text)
    address = bare_address(found.group(1)) if found else None
    if found is None or address is None:
        return []
    # the firewall's own verdict: its spam filter refused the message
    return [facts_from_block(address, found.group(2), reason=Reason.SPAMDETECTED, command="DATA")]


def _messagelabs(message: MessageView) -> list[RecipientFacts]:
    section = message.text.partition(MESSAGELABS)[2]
    if not section:
        return []
    reason = MESSAGELABS_REASON.search(section)
    listed = section[: reason.start()] if reason else section.split("\n\n\n", 1)[0]
    words = squeeze(reason.group(1)) if reason else ""
    return [facts_from_block(a.lower(), words) for a in dict.fromkeys(ADDRESS.findall(listed))]


READERS: tuple[tuple[str, Reader], ...] = (
    ("interscan", _interscan),
    ("mailfoundry", _mailfoundry),
    ("mfilter", _mfilter),
    ("imail", _imail),
    ("barracuda", _barracuda),
    ("messagelabs", _messagelabs),
)


class Gateways:
    name = "gateways"

    def detect(self, message: MessageView) -> Extraction | None:
        return first_reading(message, READERS)


DETECTOR = Gateways()
