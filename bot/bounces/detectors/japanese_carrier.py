"""Japanese mobile carriers' plain-text bounces: au/EZweb and KDDI (dion.ne.jp), NTT docomo and
SoftBank notices; used by the registry. Their DSN-bearing bounces are read by `rfc3464` first.
"""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.plaintext import (
    PhraseTable,
    cut,
    facts_from_block,
    hint,
    recipient_blocks,
    sender_domain,
)
from bot.bounces.message import MessageView, squeeze
from bot.models import Reason

CARRIER_DOMAINS = ("ezweb.ne.jp", "au.com", "dion.ne.jp", "docomo.ne.jp", "softbank.ne.jp", "i.softbank.jp",
                   "vodafone.ne.jp", "disney.ne.jp")
# "Each of the following recipients was rejected by a remote mail server." (au/EZweb)
# "Could not be delivered to: <kijitora@example.dion.ne.jp>" (KDDI)
# "The user(s) account is disabled." / "Your message was not delivered within 0 days and 1 hours." (EZweb)
MARKERS = ("Each of the following recipients was rejected by a remote", "Could not be delivered to:",
           "The following recipients did not receive this message", "The user(s) account is",
           "Your message was not delivered within")
# "    Recipient: <kijitora@example.com>", "<kijitora@ezweb.ne.jp>", "<kijitora@ezweb.ne.jp>: 550 user unknown",
# "     Could not be delivered to: <kijitora@example.dion.ne.jp>"
RECIPIENT = re.compile(r"^\s*(?:Recipient:\s*|Could not be delivered to:\s*)?<(?P<addr>[^>\s]+@[^>\s]+)>:?")
# "--------------------------------------------------" and the quoted original close the notice
BOUNDARIES = ("-" * 50, "\nReceived: ", "\nContent-Type: message/rfc822")
# "    <<< 550 5.1.1 <kijitora@example.com>... User unknown" / "    >>> RCPT TO:<kijitora@example.com>"
# (the indent is blanks of its own line: "^\s*" let every line of a run of blank lines rescan the run)
SAID = re.compile(r"^[^\S\n]*<<<\s*(.+)$", re.M)
SENT = re.compile(r"^[^\S\n]*>>>\s*(RCPT|MAIL|DATA)\b", re.M | re.IGNORECASE)
# The carriers' own words.
MESSAGES: PhraseTable = (
    # "As their mailbox is full." (KDDI), "The user(s) account is temporarily over quota." (EZweb)
    (Reason.MAILBOXFULL, ("as their mailbox is full", "account is temporarily over quota")),
    # "The user(s) account is disabled." (EZweb)
    (Reason.SUSPEND, ("account is disabled", "account is temporarily limited")),
    # "Your message was not delivered within 0 days and 1 hours. Remote host is not responding." (EZweb)
    (Reason.EXPIRED, ("your message was not delivered within",)),
    (Reason.FILTERED, ("did not receive this message",)),
)


class JapaneseCarriers:
    name = "japanese_carrier"

    def detect(self, message: MessageView) -> Extraction | None:
        domain = sender_domain(message)
        if domain is None or not domain.endswith(CARRIER_DOMAINS):
            return None
        text = cut(message.text, BOUNDARIES)
        if not any(marker in text for marker in MARKERS):
            return None
        blocks = recipient_blocks(text.split("\n"), RECIPIENT)
        preamble = squeeze(text.split("<", 1)[0])
        recipients = tuple(self._facts(message, b.recipient, "\n".join(b.lines), preamble)
                           for b in blocks if b.recipient)
        if not recipients:
            return None
        return Extraction(mta=self.name, recipients=recipients, reporting_mta=domain)

    @staticmethod
    def _facts(message: MessageView, address: str, block: str, preamble: str) -> RecipientFacts:
        said = squeeze(" ".join(SAID.findall(block)))
        sent = SENT.findall(block)
        words = said or squeeze(block) or preamble
        reason = hint(f"{preamble} {words}", MESSAGES)
        # X-SPASIGN: NG - EZweb's spam filter ("spamghetti") refused it on the recipient's settings
        if message.header("x-spasign").strip().upper() == "NG":
            reason = Reason.FILTERED
        elif reason is None and not said and "was rejected by a remote" in preamble:
            # "Each of the following recipients was rejected by a remote mail server." and no server
            # words: the recipient's own domain filter (EZweb "指定受信")
            reason = Reason.FILTERED
        return facts_from_block(address, words, reason=reason, command=sent[-1].upper() if sent else None)


DETECTOR = JapaneseCarriers()
