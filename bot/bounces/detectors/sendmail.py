"""Sendmail's plain-text bounces (V5/V8 without a DSN part) and the many MTAs that copy its layout.

Sendmail bounces with a `message/delivery-status` part are read by `rfc3464` before this detector.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.bounces.detectors import rfc3464
from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.plaintext import (
    ADDRESS,
    bare_address,
    cut,
    facts_from_block,
    find_reply_code,
    find_status,
    sender_domain,
)
from bot.bounces.message import MessageView, squeeze
from bot.models import Action, Reason

# "   ----- The following addresses had permanent fatal errors -----"
# "   ----- The following addresses had transient non-fatal errors -----"
# "---The following addresses had delivery errors---"
# The indent is blanks of its own line: "^\s*" let every line of a run of blank lines rescan the
# run (a message of 20 KB of blank lines took 2 s here). Only where a match starts moves: the
# detector reads its end and its words.
ADDRESSES = re.compile(r"^[^\S\n]*-{2,}\s*The following addresses? ha(?:d|s) ([\w -]+?)\s*-{2,}\s*$", re.M)
# "   ----- Transcript of session follows -----", "   ----- Non-delivered information -----"
# (its indent too: the match starts on the heading's line, not on the blank lines above it)
SECTION = re.compile(r"^[^\S\n]*-{2,}\s*([A-Z][\w -]+?)\s*-{2,}\s*$", re.M)
# "   ----- Original message follows -----", "   ----- Unsent message follows -----",
# "   ----- Message header follows -----"
BOUNDARIES = ("----- Original message follows", "----- Unsent message follows", "----- Message header follows",
              "----- Message body suppressed", "\nContent-Type: message/")
# "<<< 550 5.1.1 <kijitora@example.jp>... User unknown" (what the remote server said)
SAID = re.compile(r"^<<<\s*(.+)$", re.M)
# "550 5.1.1 <kijitora@example.jp>... User unknown" (sendmail's own summary line)
SUMMARY = re.compile(r"^([245]\d\d)[ -](.+)$", re.M)
# ">>> RCPT To:<kijitora@example.jp>"
SENT = re.compile(r"^>>>\s*(RCPT|MAIL|DATA|HELO|EHLO)\b", re.M | re.IGNORECASE)
# "... while talking to mx.example.jp.:"
TALKING = re.compile(r"while talking to ([\w.-]+\w)\.?:")
# "    (reason: 550 Unauthenticated senders not allowed)"
REASON_LINE = re.compile(r"^\s*\(reason: (.+)\)\s*$")
# "Returned mail: Cannot send message for 4 days" / "Warning: could not send message for past 4 hours"
EXPIRED_SUBJECT = re.compile(r"Cannot send message (?:for|within) \d+ days?", re.IGNORECASE)
DELAYED_SUBJECT = re.compile(r"Warning: could not send message for past", re.IGNORECASE)


TRANSCRIPT = "----- Transcript of session follows -----"
# DSN codes that say only "failed" or "gave up": x.0.0, x.4.7 (delivery time expired)
VAGUE = frozenset({"0.0", "4.7"})


class SendmailDSN:
    """Sendmail's DSN part, completed from its transcript: the DSN often has "Status: 5.0.0" and a
    "Diagnostic-Code: X-Unix; 255" or none, while the transcript has "554 5.3.0 unknown mailer error
    255" or "<<< 421". Runs before `rfc3464` and returns None for anything without both parts.
    """

    name = "sendmail-dsn"

    def detect(self, message: MessageView) -> Extraction | None:
        if message.delivery_status is None or TRANSCRIPT not in message.text:
            return None
        found = rfc3464.DETECTOR.detect(message)
        if found is None or not found.recipients:
            return found
        text = SENDMAIL.detect(message)
        told = {r.recipient: r for r in text.recipients} if text is not None else {}
        only = next(iter(told.values())) if len(told) == 1 and len(found.recipients) == 1 else None
        recipients = tuple(_completed(r, told.get(r.recipient) or only) for r in found.recipients)
        return replace(found, mta="sendmail", recipients=recipients)


def _completed(dsn: RecipientFacts, text: RecipientFacts | None) -> RecipientFacts:
    """The DSN's facts, with what the transcript says where the DSN is silent or vaguer."""
    if text is None:
        return dsn
    status = dsn.status
    if text.status and (status is None or (text.status[0] == status[0] and status[2:] in VAGUE)):
        # "Status: 4.4.7" (gave up) or "5.0.0" over "<<< 450 4.7.1 ... rejected": the server's code says why
        status = text.status
    said = dsn.reply_code is not None
    return replace(dsn, status=status, reply_code=dsn.reply_code or text.reply_code,
                   diagnostic=dsn.diagnostic if said or not text.diagnostic else text.diagnostic,
                   remote_mta=dsn.remote_mta or text.remote_mta, command=dsn.command or text.command)


class Sendmail:
    name = "sendmail"

    def detect(self, message: MessageView) -> Extraction | None:
        text = cut(message.text, BOUNDARIES)
        heading = ADDRESSES.search(text)
        if heading is None and "----- Transcript of session follows -----" not in text:
            return None
        action = Action.DELAYED if (heading and "transient" in heading.group(1)) or DELAYED_SUBJECT.search(
            message.subject) else Action.FAILED
        listed: dict[str, str] = {}
        rest = text
        if heading is not None:
            following = SECTION.search(text, heading.end())
            listed = _listed(text[heading.end(): following.start() if following else len(text)])
            rest = SECTION.sub(" ", text[following.start():]) if following else ""
        if not listed:
            # V5 sendmail writes only the transcript: the recipient is the returned original's To:
            original_to = message.original.get("to") if message.original else ""
            address = bare_address(original_to)
            if address is None:
                return None
            listed = {address: ""}
        reason = Reason.EXPIRED if EXPIRED_SUBJECT.search(message.subject) else None
        recipients = tuple(_facts(address, note, rest, action, reason) for address, note in listed.items())
        return Extraction(mta=self.name, recipients=recipients, reporting_mta=sender_domain(message))


def _listed(section: str) -> dict[str, str]:
    """Address → its note, from the list under the heading.

    "<kijitora@example.jp>", "    (reason: 550 User unknown)", ">>> kijitora@example.org <kijitora@example.org>",
    "kijitora@example.co.jp [User unknown]", "<kijitora@example.com> (unrecoverable error)"
    """
    listed: dict[str, str] = {}
    current = ""
    for line in section.split("\n"):
        if not line.strip() and listed:
            break  # the list ends at its first blank line
        note = REASON_LINE.match(line)
        if note and current:
            listed[current] = squeeze(f"{listed[current]} {note.group(1)}")
            continue
        address = bare_address(line) if "@" in line and not line[:1].isspace() else None
        if address:
            current = address
            rest = ADDRESS.sub("", line).replace(">>>", "").replace("<>", "")
            listed.setdefault(address, squeeze(rest).strip(" []()<>"))
    return listed


def _facts(address: str, note: str, transcript: str, action: Action, reason: Reason | None) -> RecipientFacts:
    said = [squeeze(s) for s in SAID.findall(transcript)]
    mine = [s for s in said if address in s.lower()] or said
    summary = [f"{code} {squeeze(words)}" for code, words in SUMMARY.findall(transcript)]
    summary_mine = [s for s in summary if address in s.lower()] or summary
    words = " ".join(mine) or note or " ".join(summary_mine) or squeeze(transcript)
    remote = TALKING.search(transcript)
    sent = SENT.findall(transcript)
    # "554 5.0.0 Service unavailable" after "<<< 550 Unauthenticated senders not allowed"
    status = find_status(words) or find_status(" ".join(summary_mine)) or find_status(note)
    reply = find_reply_code(words) or find_reply_code(note) or find_reply_code(" ".join(summary_mine))
    return facts_from_block(address, words, action=action, status=status, reply_code=reply, reason=reason,
                            remote_mta=remote.group(1).lower() if remote else None,
                            command=sent[-1].upper() if sent else None)


SENDMAIL = DETECTOR = Sendmail()
WITH_DSN = SendmailDSN()
