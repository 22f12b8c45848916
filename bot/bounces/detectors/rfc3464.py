"""Standard delivery status notifications (RFC 3464): every recipient block of the report.

Reads the parsed `message/delivery-status` part; when an MTA wrote the fields as plain text
instead (no such part), reads "Final-Recipient:"/"Action:"/"Status:" lines from the body.
"""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.plaintext import REPLY_CODE
from bot.bounces.message import DeliveryStatus, Headers, MessageView, parse_delivery_status, squeeze
from bot.models import Action, Kind, Reason

# "Status: 5.1.1", "Status: 5.1.1 (unknown user)", "Status: 4.4.7"
_STATUS = re.compile(r"(?<![\w.])([245])\.(\d{1,3})\.(\d{1,3})(?!\d|\.\d)")  # not "4.16.55.1"
# "Diagnostic-Code: smtp; 550 5.1.1 <x@example.org>: Recipient address rejected"
_REPLY = re.compile(r"^\W*([245]\d\d)(?:[\s\-]|$)")
# Starts only where a token starts, as the leftmost match always did: tried inside a token too, it
# made a long field without an "@" cost its length squared (20 KB took 1.5 s).
_ADDRESS = re.compile(r"(?<![^\s<>\"';,])[^\s<>\"';,]+@[^\s<>\"';,]+")
# "<kijitora@example.org>: host mx.example.org[192.0.2.1] said: ..." (human part of Postfix DSNs)
_SAID_HOST = re.compile(r"\bhost\s+([A-Za-z0-9][A-Za-z0-9.-]+)\[", re.IGNORECASE)

_FAILED_ACTIONS = {"failed": Action.FAILED, "failure": Action.FAILED, "error": Action.FAILED,  # OpenSMTPD
                   "delayed": Action.DELAYED, "delay": Action.DELAYED}
_SUCCESS_ACTIONS = frozenset({"delivered", "relayed", "expanded", "deliverable"})


class RFC3464:
    name = "rfc3464"

    def detect(self, message: MessageView) -> Extraction | None:
        report = message.delivery_status
        if report is None or not report.per_recipient:
            # Fields pasted as text: only from a sender that writes reports, not a person quoting one
            report = _fields_in_text(message.body) if _from_a_mailer(message) else None
            if report is None:
                return None
        failures: list[RecipientFacts] = []
        successes = 0
        human = HumanText(message.text)
        for block in report.per_recipient:
            action_word = block.get("action").split(None, 1)[0].lower() if block.get("action") else ""
            if action_word in _SUCCESS_ACTIONS:
                successes += 1
                continue
            facts = recipient_facts(block, _FAILED_ACTIONS.get(action_word, Action.FAILED), human)
            if facts is not None:
                failures.append(facts)
        reporting = dsn_host(report.per_message.get("reporting-mta")) or None
        mta = dialect(report, message) or self.name
        if not failures:
            if not successes:
                return None
            return Extraction(mta=mta, kind=Kind.DELIVERED, reporting_mta=reporting)
        return Extraction(mta=mta, recipients=tuple(failures), reporting_mta=reporting)


# Which MTA wrote a standard DSN, from the fields only it adds: (where, field, text in it, name).
# "where" is "message" (per-message fields), "recipient" (first recipient block) or "header".
DIALECTS: tuple[tuple[str, str, str, str], ...] = (
    ("message", "x-postfix-queue-id", "", "postfix"),  # "X-Postfix-Queue-ID: 7A1F2C0042"
    ("recipient", "diagnostic-code", "x-postfix;", "postfix"),
    ("recipient", "x-exim-diagnostic", "", "exim"),
    ("recipient", "x-display-name", "", "exchange"),  # Exchange / Office 365 NDRs
    ("header", "x-ms-exchange-message-is-ndr", "", "exchange"),
    ("header", "x-ses-outgoing", "", "amazonses"),
    ("message", "reporting-mta", "amazonses.com", "amazonses"),
    ("message", "reporting-mta", "googlemail.com", "gmail"),
    ("header", "x-failed-recipients", "", "exim"),
)


def dialect(report: DeliveryStatus, message: MessageView) -> str | None:
    """The MTA that wrote the DSN when its own fields say so, else None (plain "rfc3464")."""
    first = report.per_recipient[0] if report.per_recipient else Headers()
    places = {"message": report.per_message, "recipient": first, "header": message.headers}
    for where, name, text, mta in DIALECTS:
        value = places[where].get(name)
        if name in places[where] and (not text or text in value.lower()):
            return mta
    return None


_MAILER_SENDERS = ("mailer-daemon", "postmaster", "mail-daemon", "maildaemon", "mailerdaemon", "mdaemon",
                   "mail.delivery", "bounce", "no-reply", "noreply", "mailadmin")
_REPORT_SUBJECT = re.compile(r"undeliver|returned|failure|fail|delivery|not delivered|bounce|rejected|"
                             r"non.?remis|unzustellbar", re.IGNORECASE)


def _from_a_mailer(message: MessageView) -> bool:
    """A report-writing sender: a multipart/report, a mailer-daemon-like From, a null Return-Path."""
    return bool(
        message.report_type
        or message.from_address.split("@")[0].startswith(_MAILER_SENDERS)
        or (message.headers.get("return-path").strip() in ("<>", "") and _REPORT_SUBJECT.search(message.subject))
    )


def _fields_in_text(body: str) -> DeliveryStatus | None:
    # Fields pasted into the human text: "Final-Recipient: rfc822; user@example.org"
    start = body.find("Final-Recipient:")
    if start < 0:
        start = body.lower().find("final-recipient:")
        if start < 0:
            return None
    head = body.rfind("\n\n", 0, start)
    report = parse_delivery_status(body[head + 2 if head >= 0 else 0 :])
    return report if report.per_recipient else None


class HumanText:
    """The human-readable part, lower-cased and its transcript lines found once per message, not once
    per recipient (a DSN of 10,000 recipients searched a 256 KB text 10,000 times)."""

    __slots__ = ("_transcript", "lowered", "text")

    def __init__(self, text: str = "") -> None:
        self.text = text
        self.lowered = text.lower()
        self._transcript: list[str] | None = None

    @property
    def transcript(self) -> list[str]:
        if self._transcript is None:
            self._transcript = [m.group(1) for m in _TRANSCRIPT.finditer(self.text)]
        return self._transcript


def recipient_facts(block: Headers, action: Action, human: HumanText | None = None) -> RecipientFacts | None:
    """The facts of one per-recipient block, completed from the human text; None without an address."""
    address = dsn_address(block.get("final-recipient")) or dsn_address(block.get("original-recipient"))
    if not address:
        address = dsn_address(block.get("x-actual-recipient"))
    if not address:
        return None
    human = human or HumanText()
    kind, diagnostic = _typed(block.get("diagnostic-code"))
    window = _window(human, address)
    if kind == "x-unix" or not REPLY_CODE.search(diagnostic):
        diagnostic = _from_human_text(diagnostic, window, human, address)
    status = _status(block.get("status"), diagnostic)
    return RecipientFacts(
        recipient=address,
        action=action,
        status=status,
        reply_code=reply_code(diagnostic, status),
        diagnostic=diagnostic,
        remote_mta=dsn_host(block.get("remote-mta")) or None,
        command=_command_in(diagnostic.lower()) or _command_in(window.lower()),
        # "Diagnostic-Code: X-Unix; 255": a local program (pipe, procmail) failed
        reason=Reason.MAILERERROR if kind == "x-unix" else None,
    )


def _typed(value: str) -> tuple[str, str]:
    """'smtp; 550 5.1.1 ...' → ('smtp', '550 5.1.1 ...'), whitespace squeezed."""
    head, sep, rest = value.partition(";")
    if sep and len(head) < 20 and " " not in head.strip():
        return head.strip().lower(), squeeze(rest)
    return "", squeeze(value)


def _window(human: HumanText, address: str) -> str:
    """The human text from the first mention of `address` on (Postfix writes one block each)."""
    at = human.lowered.find(address)
    return squeeze(human.text[at : at + 1200]) if at >= 0 else ""


def _from_human_text(diagnostic: str, window: str, human: HumanText, address: str) -> str:
    """A diagnostic without a reply code, completed from the human-readable part.

    Postfix: "<kijitora@example.org>: host mx.example.org[192.0.2.1] said: 550 5.1.1 <...>:
    Recipient address rejected: User unknown (in reply to RCPT TO command)"
    Sendmail transcript: "<<< 550 5.1.2 <nekochan@example.org>... Host unknown"
    """
    said = _SAID.search(window)
    if said:
        line = said.group(1).strip()
    else:
        lines = human.transcript
        mine = [line for line in lines if address in line.lower()]
        line = squeeze((mine or lines or [""])[-1])
    if not line:
        return diagnostic
    return f"{line} ({diagnostic})" if diagnostic and diagnostic not in line else line


# "said: 550 5.1.1 <x@example.org>: ... (in reply to RCPT TO command)"
_SAID = re.compile(r"\bsaid:\s*(.+?)(?:\(in reply to [^)]*\)|$)", re.IGNORECASE)
# "<<< 550 5.1.1 <x@example.org>... User unknown", "554 5.3.0 unknown mailer error 255"
_TRANSCRIPT = re.compile(r"^[ \t]*(?:<<<[ \t]*)?([245]\d\d(?:[ \t-].*)?)$", re.MULTILINE)


def _command_in(text: str) -> str | None:
    for phrase, command in _COMMAND_PHRASES:
        if phrase in text:
            return command
    return None


_COMMAND_PHRASES = (
    ("in reply to rcpt to", "RCPT"), ("in reply to rcpt", "RCPT"), ("in reply to mail from", "MAIL"),
    ("in reply to end of data", "DATA"), ("in reply to data", "DATA"), ("in reply to helo", "HELO"),
    ("in reply to ehlo", "HELO"), ("after rcpt to", "RCPT"), ("after mail from", "MAIL"),
    ("after end of data", "DATA"),
    # Sendmail and Courier transcripts: ">>> DATA" then "<<< 550 ..."
    (">>> rcpt to", "RCPT"), (">>> mail from", "MAIL"), (">>> data", "DATA"), (">>> helo", "HELO"),
    (">>> ehlo", "HELO"),
)


def _command(block: Headers) -> str | None:
    # "X-Postfix-Sender"/"Last-Attempt" carry no command; Sendmail and some others add one:
    # "Diagnostic-Code: smtp; 550 5.1.1 ... (in reply to RCPT TO command)"
    return _command_in(block.get("diagnostic-code").lower())


def _strip_type(value: str) -> str:
    # "smtp; 550 ..." / "X-Postfix; host ... said" / "SMTP; 550 ..."
    head, sep, rest = value.partition(";")
    if sep and len(head) < 20 and " " not in head.strip():
        return rest.strip()
    return value.strip()


def _status(field: str, diagnostic: str) -> str | None:
    """The Status field, unless the remote server's own words carry a different code of its class.

    "Status: 4.4.7" with "554 4.4.7 Message expired ...<421 4.4.2 Connection timed out>" → 4.4.2;
    "Status: 5.1.0" with "550-'5.2.2 <x>... Mailbox Full'" → 5.2.2: the last code said wins.
    """
    stated = _STATUS.search(field)
    said = [".".join(m.groups()) for m in _STATUS.finditer(diagnostic)]
    if stated is None:
        return said[0] if said else None
    status = ".".join(stated.groups())
    same_class = [code for code in said if code[0] == status[0] and not code.endswith(".0.0")]
    return same_class[-1] if same_class else status


def reply_code(diagnostic: str, status: str | None) -> str | None:
    """The SMTP reply code that opens the diagnostic (or follows a 'said:'), class-consistent."""
    if status:
        # "<421 4.4.2 Connection timed out>": the reply code written with the chosen status
        paired = re.search(r"([245]\d\d)[\s-]+'?" + re.escape(status) + r"\b", diagnostic)
        if paired:
            return paired.group(1)
    match = _REPLY.match(diagnostic) or REPLY_CODE.search(diagnostic)
    if match is None:
        return None
    code = match.group(1)
    if status and status[0] in "45" and code[0] != status[0]:
        return None
    return code


def dsn_address(value: str) -> str:
    """'rfc822; <Kijitora@Example.org>' → 'kijitora@example.org'."""
    if not value:
        return ""
    match = _ADDRESS.search(_strip_type(value))
    return match.group(0).strip(".").lower() if match else ""


def dsn_host(value: str) -> str:
    """'dns; mx.example.org [192.0.2.1]' → 'mx.example.org'."""
    text = _strip_type(value)
    return text.split()[0].strip("[]<>").lower() if text.split() else ""


DETECTOR = RFC3464()
