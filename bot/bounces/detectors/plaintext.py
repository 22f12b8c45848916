"""Shared reading tools for the plain-text (non-DSN) bounce formats; used by their detectors only.

A human-readable bounce is a preamble, one block per failed recipient (an address line, then the
remote server's words), and the returned original after a boundary line. `recipient_blocks` cuts
the text that way from a format's own marker lines; `facts_from_block` turns one block into
`RecipientFacts` (status, reply code, remote host and SMTP command read from the words only).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.message import MessageView, squeeze
from bot.models import Action, Reason

# starts only where a token starts and never backtracks, so a long run of letters stays linear
ADDRESS = re.compile(
    r"(?<![A-Za-z0-9.!#$%&'*+/=?^_`{|}~-])[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]++@[A-Za-z0-9_-]++(?:\.[A-Za-z0-9_-]++)++"
)
# "550 5.1.1 ...", "(#5.1.1)", "5.7.606"; not inside IP addresses or version numbers
STATUS = re.compile(r"(?<![\w.])([245])\.(\d{1,3})\.(\d{1,3})(?!\w|\.\d)")
# "550 5.1.1", "550-5.7.26 ...", "said: 554 ...", "[550 5.1.1 User unknown]", "ERROR CODE :550 - 5.2.1",
# "recv: 550 User unknown", "< #5.1.1 smtp;550 5.1.1 <a@example.org>... User unknown>", "#550 5.1.1 ...",
# "SMTP error 550: no such user"
REPLY_CODE = re.compile(r"(?:^|(?<=[\s:;#\[(<\"']))([245][0-5]\d)(?=[\s\-:\]),;]|$)")
# "host mx.example.jp [192.0.2.153]: 550 ..."  (Exim, Mail.ru)
HOST_BRACKET = re.compile(r"\bhost:?\s+([A-Za-z0-9][A-Za-z0-9.-]*\.[A-Za-z]{2,}|\d{1,3}(?:\.\d{1,3}){3})\b")
# "after RCPT TO:<...>", "after MAIL FROM:", "after end of data", ">>> DATA", "(Error following RCPT command)"
COMMAND = re.compile(
    r"\b(?:after|following|in reply to|>>>)\s+(RCPT|MAIL|DATA|end of data|HELO|EHLO|initial connection|"
    r"AUTH|STARTTLS)\b",
    re.IGNORECASE,
)
_COMMAND_NAMES = {"end of data": "DATA", "initial connection": "CONN", "ehlo": "HELO"}


def find_status(text: str) -> str | None:
    """The first enhanced status code in `text`, '5.1.1', or None."""
    match = STATUS.search(text)
    return ".".join(match.groups()) if match else None


def find_reply_code(text: str) -> str | None:
    """The first SMTP reply code in `text`, '550', or None."""
    match = REPLY_CODE.search(text)
    return match.group(1) if match else None


def find_command(text: str) -> str | None:
    """The SMTP command the remote server refused, 'RCPT', as far as the words say."""
    match = COMMAND.search(text)
    if match is None:
        return None
    word = match.group(1).lower()
    return _COMMAND_NAMES.get(word, word.upper())


def bare_address(text: str) -> str | None:
    """The first e-mail address in `text`, lower-cased, without brackets or quotes."""
    match = ADDRESS.search(text)
    return match.group(0).strip(".").lower() if match else None


def cut(text: str, boundaries: Iterable[str]) -> str:
    """`text` up to the first boundary line (where the returned original starts)."""
    end = len(text)
    for boundary in boundaries:
        found = text.find(boundary)
        if 0 <= found < end:
            end = found
    return text[:end]


def after(text: str, starts: Iterable[str]) -> str | None:
    """`text` from the first of `starts` on, or None when none occurs."""
    best = -1
    for start in starts:
        found = text.find(start)
        if found >= 0 and (best < 0 or found < best):
            best = found
    return None if best < 0 else text[best:]


def consistent(status: str | None, reply_code: str | None) -> tuple[str | None, str | None]:
    """Drop a reply code whose class contradicts the status ('554 4.4.7' keeps the status)."""
    if status and reply_code and status[0] != reply_code[0]:
        return status, None
    return status, reply_code


def facts_from_block(
    recipient: str,
    diagnostic: str,
    *,
    action: Action = Action.FAILED,
    remote_mta: str | None = None,
    command: str | None = None,
    reason: Reason | None = None,
    status: str | None = None,
    reply_code: str | None = None,
) -> RecipientFacts:
    """The facts of one recipient block; codes and host are read from the words unless given."""
    words = squeeze(diagnostic)
    found_status, found_reply = consistent(status or find_status(words), reply_code or find_reply_code(words))
    if remote_mta is None:
        host = HOST_BRACKET.search(words)
        remote_mta = host.group(1).lower() if host else None
    return RecipientFacts(
        recipient=recipient,
        action=action,
        status=found_status,
        reply_code=found_reply,
        diagnostic=words,
        remote_mta=remote_mta,
        command=command or find_command(words),
        reason=reason,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Block:
    """One recipient ("" when its opening line names no address) and the lines written about it."""

    recipient: str
    lines: tuple[str, ...]
    head: str = ""  # the opening line as written, stripped

    @property
    def text(self) -> str:
        return squeeze(" ".join(self.lines))


def recipient_blocks(
    lines: Sequence[str],
    recipient_line: re.Pattern[str],
    *,
    stop: re.Pattern[str] | None = None,
    skip: re.Pattern[str] | None = None,
) -> list[Block]:
    """Group `lines` into blocks, each opened by a line `recipient_line` matches (group 'addr',
    searched for the address; the rest of the opening line starts the block's words).

    Lines before the first recipient are ignored; `stop` ends the last block (a closing remark);
    `skip` drops chatter lines inside blocks.
    """
    blocks: list[Block] = []
    current: str | None = None
    head = ""
    body: list[str] = []
    for line in lines:
        match = recipient_line.match(line)
        if match:
            if current is not None:
                blocks.append(Block(recipient=current, lines=tuple(body), head=head))
            current, body, head = bare_address(match.group("addr")) or "", [line[match.end():]], line.strip()
            continue
        if current is None:
            continue
        if stop is not None and stop.match(line):
            blocks.append(Block(recipient=current, lines=tuple(body), head=head))
            current, body = None, []
            continue
        if skip is not None and skip.match(line):
            continue
        body.append(line)
    if current is not None:
        blocks.append(Block(recipient=current, lines=tuple(body), head=head))
    return blocks


def unique_blocks(blocks: Iterable[Block]) -> list[Block]:
    """First block of each recipient (some formats repeat the list in a second language)."""
    seen: set[str] = set()
    kept: list[Block] = []
    for block in blocks:
        if not block.recipient or block.recipient not in seen:
            seen.add(block.recipient)
            kept.append(block)
    return kept


PhraseTable = tuple[tuple[Reason, tuple[str, ...]], ...]


def hint(text: str, table: PhraseTable) -> Reason | None:
    """The first reason of `table` one of whose phrases `text` contains (case-insensitive)."""
    lowered = text.lower()
    for reason, phrases in table:
        if any(phrase in lowered for phrase in phrases):
            return reason
    return None


def header_list(value: str) -> list[str]:
    """Addresses of a comma-separated header such as X-Failed-Recipients, lower case."""
    return [a.group(0).lower() for a in ADDRESS.finditer(value)]


def sender_domain(message: MessageView) -> str | None:
    """'mx.example.net' of 'MAILER-DAEMON@mx.example.net': the host that wrote the bounce."""
    _, _, domain = message.from_address.partition("@")
    return domain or None


def text_extraction(name: str, message: MessageView, recipients: Sequence[RecipientFacts]) -> Extraction | None:
    """`recipients` as detector `name`'s extraction, written by the bounce's sender domain; None when
    there are none (the detector's "not my format")."""
    if not recipients:
        return None
    return Extraction(mta=name, recipients=tuple(recipients), reporting_mta=sender_domain(message))


# Senders that write failure notices: "MAILER-DAEMON@", "postmaster@", "Mail Delivery Subsystem <...>"
DAEMON_LOCALS = frozenset({"mailer-daemon", "mailer_daemon", "mailerdaemon", "postmaster", "mail-daemon",
                           "maildaemon", "mdaemon", "mail.delivery.system", "mailadmin", "mail-router"})
DAEMON_NAMES = re.compile(r"mail(?:er)?[ -]?daemon|postmaster|mail delivery (?:subsystem|system|service)"
                          r"|mail administrator|system administrator|delivery status notification",
                          re.IGNORECASE)


def from_daemon(message: MessageView) -> bool:
    """Sent by a mailer daemon or postmaster (From, Sender or Return-Path), or with a null envelope sender."""
    return_path = message.header("return-path").strip()
    if return_path in ("<>", "<<>>"):
        return True
    for name in ("from", "sender"):
        value = message.header(name)
        address = bare_address(value) or ""
        if address.partition("@")[0] in DAEMON_LOCALS or DAEMON_NAMES.search(value):
            return True
    return (bare_address(return_path) or "").partition("@")[0] in DAEMON_LOCALS


# "kijitora", "neko.chan": a mailbox name written without its domain (AOL, GroupWise)
LOCAL_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+=-]{0,63}")


def resolve_local(local: str, message: MessageView) -> str | None:
    """The address of the returned original's To/Cc whose local part is `local` ('kijitora' → the
    'kijitora@example.org' it was sent to), or None when the original is not there or names nobody so."""
    if message.original is None or not LOCAL_PART.fullmatch(local):
        return None
    wanted = local.lower()
    for name in ("to", "cc"):
        for address in header_list(message.original.get(name)):
            if address.partition("@")[0] == wanted:
                return address
    return None
