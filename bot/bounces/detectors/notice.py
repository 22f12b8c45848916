"""Last resort for plain-text failure notices in no layout we know: a mailer daemon's (or a null
sender's) notice with failure wording and a list of addresses, each block's words as diagnostic.

Registered after `generic`, so it reads only what no other detector could. Like flufl.bounce's
`SimpleMatch` it needs a start line (failure wording) and takes the addresses that follow, but from
any such notice; a local part alone ("kijitora") is resolved against the returned original's To:.
"""

from __future__ import annotations

import re

from bot.bounces.autoreply import AUTO_SUBJECTS
from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.generic import SUBJECT
from bot.bounces.detectors.plaintext import (
    ADDRESS,
    DAEMON_LOCALS,
    LOCAL_PART,
    facts_from_block,
    find_reply_code,
    find_status,
    from_daemon,
    header_list,
    resolve_local,
    sender_domain,
)
from bot.bounces.message import MessageView, squeeze
from bot.models import Action

# Failure wording, in the body or the Subject:
# "The following addresses had permanent fatal errors" (Sendmail-alikes), "could not be delivered to",
# "Mail Delivery Problem" (AOL), "Message status - undeliverable" (GroupWise), "Undeliverable Address:"
# (HotPOP), "Delivery to the following recipients failed", "That's not a valid user here" (Exim :fail:)
FAILURE = re.compile(
    r"permanent(?:ly)? (?:fatal )?(?:error|fail)|could ?n[o']t be (?:delivered|reached)|was ?n[o']t delivered"
    r"|could not deliver|not be delivered|undeliverable|undelivered|unable to deliver|failed to deliver"
    r"|delivery (?:to the following recipients? )?(?:has )?failed|delivery (?:problem|failure)"
    r"|did not reach|returned mail|failed recipient|not a valid (?:user|recipient)|no such (?:user|mailbox)"
    r"|user (?:unknown|not found)|unknown (?:user|recipient)|mailbox (?:unavailable|not found|is full)"
    r"|does not exist|message status - undeliverable|delivery status notification \(failure\)",
    re.IGNORECASE,
)
# what an auto-reply from a null sender must still say to be a bounce (Exim's ":fail:" reply is
# "Auto-Submitted: auto-replied" with "That's not a valid user here")
STRONG = re.compile(r"not a valid (?:user|recipient)|no such (?:user|mailbox)|user (?:unknown|not found)"
                    r"|unknown (?:user|recipient)|(?<![\d.])5\d\d[ -]", re.IGNORECASE)
DELAYED = re.compile(r"delayed|will (?:continue|retry|try again)|not yet been delivered|still trying"
                     r"|temporar(?:y|ily)", re.IGNORECASE)
# where the notice ends and the returned original starts. The rule before the words is taken whole
# (atomic): the words start after it, so a shorter rule never reaches them when the whole one does not,
# and a line of 6,000 dashes no longer tries every split of it (50 s).
ORIGINAL = re.compile(
    r"^(?:(?:Received|Return-Path|DKIM-Signature|Message-I[Dd]): "
    r"|(?>[ \t>-]*(?:-{2,}|\*{2,}|={2,})).{0,40}(?:original message|returned (?:mail|message)|message follows"
    r"|copy of (?:the|your) message|message headers|headers? follow|end of message)"
    r"|[ \t]*(?:original message (?:headers|follows)|included is a copy of the message header))",
    re.IGNORECASE | re.MULTILINE,
)
# header-like lines of a quoted original inside the notice: they name the sender, not the recipient
# (possessive blanks: the field name starts at the first non-blank, so a run of tabs is read once)
QUOTED_FIELD = re.compile(r"^\s*+[*>|]?\s*+(?:From|Sender|Reply-To|Return-Path|Message-I[Dd]|In-Reply-To|References"
                          r"|Date|Subject|MAIL FROM|Envelope-From|X-[\w-]+)\s*:", re.IGNORECASE)
# lines whose addresses are not recipients: "For further assistance, please contact <support@...>",
# "(ultimately generated from nekochan@example.org)" (the alias a recipient came from)
ASIDE = re.compile(r"\b(?:contact|assistance|questions?|inquir\w*|help ?desk)\b|generated (?:from|by)"
                   r"|expanded from|forwarded (?:to|by)", re.IGNORECASE)
# "  kijitora (user not found)", "\tkijitora": a local part on a line of its own (AOL, GroupWise)
LOCAL_LINE = re.compile(r"^\s+(?P<local>" + LOCAL_PART.pattern + r")(?:\s*[:(-].*)?\s*$")
MAILER_DAEMONS = frozenset({"mailer-daemon", "mailer_daemon", "mailerdaemon", "mail-daemon", "maildaemon", "mdaemon"})
MAX_BLOCK_LINES = 4  # words kept after an address line: its reason, not the rest of the notice
# the failure sentence opens a notice: searched for in its first characters only, so a huge hostile
# text costs one pass of the cheap patterns, not of this long alternation
WORDING_WITHIN = 16 * 1024
MAX_LINE_CHARS = 1000  # of one line: a reason is never longer, a hostile line often is
# of the list under the failure wording: a notice names a few recipients, a hostile one 20,000 (each
# then read, classified and reported: 0.8 s); past either cap the report says `truncated`
MAX_LIST_LINES = 2_000
MAX_LISTED = 200


class FailureNotice:
    name = "notice"

    def detect(self, message: MessageView) -> Extraction | None:
        if message.report_type in ("delivery-status", "feedback-report", "disposition-notification"):
            return None  # a report of its own kind: rfc3464 / arf read it, or it is not a failure
        if not from_daemon(message) or AUTO_SUBJECTS.search(message.subject):
            return None
        notice = _notice(message.text)
        in_notice = FAILURE.search(notice, 0, WORDING_WITHIN)
        in_subject = FAILURE.search(message.subject) or SUBJECT.search(message.subject)
        # failure words in the body alone are a notice only from a mailer daemon or a null sender: a
        # postmaster's announcement ("old addresses will be undeliverable after Friday") is not
        if not in_subject and (in_notice is None or not _null_or_mailer_daemon(message)):
            return None
        if _autoreplied(message) and not STRONG.search(notice):
            return None
        action = Action.DELAYED if DELAYED.search(message.subject) and not FAILURE.search(message.subject) \
            else Action.FAILED
        ignored = _not_recipients(message)
        start = in_notice.start() if in_notice else 0
        end = _lines_end(notice, _line_start(notice, start))
        recipients, cut = _listed(notice[:end], start, message, ignored, action)
        cut = cut or end < len(notice)
        if not recipients:
            # "Subject: Undeliverable: kijitora@example.org": the only place the address is written
            words = squeeze(f"{message.subject} {notice}")[:500]
            recipients = [facts_from_block(a, words, action=action)
                          for a in dict.fromkeys(header_list(message.subject)) if a not in ignored]
        if not recipients:
            return None
        return Extraction(mta=self.name, recipients=tuple(recipients), reporting_mta=sender_domain(message),
                          truncated=cut)


def _null_or_mailer_daemon(message: MessageView) -> bool:
    return (message.header("return-path").strip() in ("<>", "<<>>") or message.from_address == ""
            or message.from_address.partition("@")[0] in MAILER_DAEMONS)


def _notice(text: str) -> str:
    """The text up to the returned original."""
    cut_at = ORIGINAL.search(text)
    return text[: cut_at.start()] if cut_at else text


def _autoreplied(message: MessageView) -> bool:
    return message.header("auto-submitted").lower().startswith("auto-replied") or "x-autoreply" in message.headers


def _not_recipients(message: MessageView) -> set[str]:
    """Addresses a notice names that are not the failed recipients: the bounce's own From and To
    (the sender it goes back to), the original's From, Sender, Reply-To, and daemons."""
    found: set[str] = set()
    for name in ("from", "to", "sender", "reply-to", "return-path", "delivered-to", "x-original-to"):
        found.update(header_list(message.header(name)))
    if message.original is not None:
        for name in ("from", "sender", "reply-to", "return-path"):
            found.update(header_list(message.original.get(name)))
        found.update(header_list(message.original.get("message-id")))
    found.update(header_list(message.header("message-id")))
    return found


def _listed(notice: str, start: int, message: MessageView, ignored: set[str],
            action: Action) -> tuple[list[RecipientFacts], bool]:
    """One recipient per address (or resolvable local part) listed in the notice from `start` on,
    with the words of its block; the notice's coded lines when its block says nothing. True when
    MAX_LISTED recipients were found and the rest of the list was not read."""
    lines = notice[_line_start(notice, start):].split("\n")
    blocks: dict[str, list[str]] = {}
    current: list[str] | None = None
    cut = False
    for line in lines:
        stripped = line.strip()
        if not stripped:
            current = None
            continue
        has_at = "@" in line
        if has_at and (QUOTED_FIELD.match(line) or ASIDE.search(line)):
            continue
        addresses = _addresses(line, ignored) if has_at else []
        if not has_at:
            local = LOCAL_LINE.match(line)
            resolved = resolve_local(local.group("local"), message) if local else None
            addresses = [resolved] if resolved and resolved not in ignored else []
        line = line[:MAX_LINE_CHARS]
        if addresses:
            current = None
            fresh = [a for a in dict.fromkeys(addresses) if a not in blocks]
            if len(blocks) + len(fresh) > MAX_LISTED:
                cut = True
                break
            for address in fresh:
                current = blocks[address] = [line]
        elif current is not None and len(current) < MAX_BLOCK_LINES:
            current.append(line)
    if not blocks:
        return [], cut
    # the server's coded lines, else the notice's own failure sentences, stand for a bare list's reason
    coded = [squeeze(line[:MAX_LINE_CHARS]) for line in notice.split("\n")
             if find_reply_code(line) or find_status(line)]
    summary = " ".join(coded)[:500] or " ".join(
        squeeze(line) for line in notice[:WORDING_WITHIN].split("\n") if FAILURE.search(line))[:500]
    coded_for: dict[str, list[str]] = {}
    for line in coded:
        for address in dict.fromkeys(_addresses(line, ignored)):
            coded_for.setdefault(address, []).append(line)
    recipients = []
    for address, block in blocks.items():
        words = squeeze(" ".join(block))
        mine = coded_for.get(address)
        diagnostic = " ".join(mine[:MAX_BLOCK_LINES]) if mine else words if _says_why(words, address) \
            else f"{words} {summary}"
        recipients.append(facts_from_block(address, diagnostic, action=action))
    return recipients, cut


def _line_start(text: str, at: int) -> int:
    return text.rfind("\n", 0, at) + 1


def _lines_end(text: str, at: int) -> int:
    """Where MAX_LIST_LINES lines from `at` on end (the end of `text` when it has fewer)."""
    for _ in range(MAX_LIST_LINES):
        at = text.find("\n", at) + 1
        if at == 0:
            return len(text)
    return at


def _addresses(line: str, ignored: set[str]) -> list[str]:
    found = []
    for match in ADDRESS.finditer(line):
        address = match.group(0).strip(".").lower()
        if address not in ignored and address.partition("@")[0] not in DAEMON_LOCALS:
            found.append(address)
    return found


def _says_why(words: str, address: str) -> bool:
    """The block's words hold more than the address: a code or a reason."""
    rest = words.lower().replace(address, "")
    return bool(find_reply_code(rest) or find_status(rest) or FAILURE.search(rest))


DETECTOR = FailureNotice()
