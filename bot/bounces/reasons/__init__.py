"""One classifier: the facts of a bounced recipient → a reason in Sisimai's vocabulary, hard/soft.

Called by `bot.bounces.parse` after a detector has extracted the facts. Everything that decides
is data: the tables of this package (`status`, `phrases`, `receivers/<provider>`) and, here,
ordered lists saying which reason wins when several fit (`FIRST_PASS`, `SECOND_PASS`,
`CLASS_FALLBACK`). The procedure follows Sisimai
(lib/sisimai/reason.rb): a first pass where status code, SMTP command and phrases confirm each
other, then a pass on phrases alone, then fallbacks on the status class and the action.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from bot.bounces.reasons.literals import LiteralIndex
from bot.bounces.reasons.phrases import PHRASES, USERUNKNOWN_AT_ANY_COMMAND
from bot.bounces.reasons.receivers import receiver_for
from bot.bounces.reasons.status import STATUS_REASONS
from bot.models import Action, Reason

R = Reason


@dataclass(frozen=True, slots=True, kw_only=True)
class Facts:
    """What the classifier reads about one recipient."""

    status: str | None = None
    reply_code: str | None = None
    diagnostic: str = ""
    command: str | None = None
    action: Action = Action.FAILED
    hint: Reason | None = None
    # Which receiver's documented replies are read first (`receivers`): the recipient's
    # domain, the host that refused, the host that wrote the bounce
    recipient: str | None = None
    remote_mta: str | None = None
    reporting_mta: str | None = None


# Reasons a status code suggests but the words may overrule (Sisimai's "retry" list).
RETRY: frozenset[Reason] = frozenset(
    {
        R.UNDEFINED,
        R.ONHOLD,
        R.SYSTEMERROR,
        R.SECURITYERROR,
        R.EXPIRED,
        R.SUSPEND,
        R.NETWORKERROR,
        R.HOSTUNKNOWN,
        R.USERUNKNOWN,
    }
)

HARD: frozenset[Reason] = frozenset({R.USERUNKNOWN, R.HOSTUNKNOWN, R.HASMOVED})
BEFORE_DATA: frozenset[str] = frozenset({"CONN", "EHLO", "HELO", "MAIL", "RCPT"})

# Every table's `contains` phrases in one trie: one search says which tables hold a phrase.
_CONTAINED: LiteralIndex[Reason] = LiteralIndex({reason: phrases.contains for reason, phrases in PHRASES.items()})
# Tables of `contains` phrases only (most): for them that search is the whole answer.
_PHRASES_ONLY = frozenset(reason for reason, phrases in PHRASES.items()
                          if not (phrases.pairs or phrases.regex or phrases.unless))


class Said:
    """One diagnostic as the rules read it (lower case, one reply): `text`, and `said(reason)`,
    whether its words name `reason`. Many rules ask about the same reasons: each is read once."""

    __slots__ = ("_contained", "_known", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._contained = _CONTAINED.found(text)
        self._known: dict[Reason, bool] = {}

    def __call__(self, reason: Reason) -> bool:
        if reason in _PHRASES_ONLY:
            return reason in self._contained
        known = self._known.get(reason)
        if known is None:
            known = self._known[reason] = PHRASES[reason].match(self.text, contained=reason in self._contained)
        return known


Check = Callable[[Facts, Reason | None, Said], bool]


def _words(reason: Reason) -> Check:
    return lambda facts, by_status, said: said(reason)


def _status_or_words(reason: Reason) -> Check:
    return lambda facts, by_status, said: by_status is reason or said(reason)


def _userunknown(facts: Facts, by_status: Reason | None, said: Said) -> bool:
    # Status 5.1.1 unless the words say something else: "550 5.1.1 ... Relaying denied"
    if by_status is R.SUSPEND:
        return False
    if by_status is R.USERUNKNOWN:
        return not any(said(r) for r in _USERUNKNOWN_RIVALS)
    if USERUNKNOWN_AT_ANY_COMMAND.match(said.text):
        return True
    if facts.command is None and facts.status and by_status is None:
        # A DSN with a vague Status and no command: "Status: 5.0.0" + "550 <x@...>: User unknown"
        # (MessageLabs, Outlook.com, Sun Messaging Server). Sisimai's decoders of these formats call
        # it userunknown; the other words still win, as with 5.1.1.
        return said(R.USERUNKNOWN) and not any(said(r) for r in _USERUNKNOWN_RIVALS)
    # Without the command or a status, "User unknown" may be a filter speaking after DATA (Japanese
    # carriers do this): only a refusal at RCPT TO is taken at its word, as Sisimai does.
    return facts.command == "RCPT" and said(R.USERUNKNOWN)


_USERUNKNOWN_RIVALS = (R.NORELAYING, R.BLOCKED, R.MAILBOXFULL, R.HASMOVED, R.REJECTED, R.NOTACCEPT, R.SPEEDING)


def _filtered(facts: Facts, by_status: Reason | None, said: Said) -> bool:
    if by_status is R.SUSPEND:
        return False
    words = said(R.FILTERED) or said(R.USERUNKNOWN)
    if by_status is R.FILTERED:
        # or the code and the word agree: "550 5.2.0 Message Filtered" (Amazon SES receiving)
        return words or "filtered" in said.text
    return facts.command not in ("RCPT", "MAIL") and words


def _rejected(facts: Facts, by_status: Reason | None, said: Said) -> bool:
    if by_status is R.REJECTED:
        return True
    words = said(R.REJECTED)
    if facts.command == "MAIL":
        # "550 5.7.1 Access denied (in reply to MAIL FROM command)": the sender was refused
        return words or "access denied" in said.text
    if facts.command == "DATA":
        return by_status is not R.USERUNKNOWN and words
    return by_status in (None, R.ONHOLD, R.UNDEFINED, R.SECURITYERROR, R.SYSTEMERROR) and words


def _hostunknown(facts: Facts, by_status: Reason | None, said: Said) -> bool:
    if by_status is R.HOSTUNKNOWN:
        return not said(R.NETWORKERROR)
    return said(R.HOSTUNKNOWN)


def _mesgtoobig(facts: Facts, by_status: Reason | None, said: Said) -> bool:
    if by_status is R.MESGTOOBIG:
        return True
    if by_status is R.EXCEEDLIMIT:
        return False
    return said(R.MESGTOOBIG)


def _after_data(reason: Reason) -> Check:
    # Content is read after DATA: a refusal at RCPT is never about spam or a virus in the message
    return lambda facts, by_status, said: facts.command not in BEFORE_DATA and said(reason)


# First pass: status code, command and words together (Sisimai's ClassOrder[0]); order = precedence.
FIRST_PASS: tuple[tuple[Reason, Check], ...] = (
    (R.MAILBOXFULL, _status_or_words(R.MAILBOXFULL)),
    (R.MESGTOOBIG, _mesgtoobig),
    (R.EXCEEDLIMIT, _status_or_words(R.EXCEEDLIMIT)),
    (R.SUSPEND, _words(R.SUSPEND)),
    (R.HASMOVED, _words(R.HASMOVED)),
    (R.NORELAYING, _words(R.NORELAYING)),
    (R.AUTHFAILURE, _status_or_words(R.AUTHFAILURE)),
    (R.USERUNKNOWN, _userunknown),
    (R.FILTERED, _filtered),
    (R.REQUIREPTR, _status_or_words(R.REQUIREPTR)),
    (R.NOTCOMPLIANTRFC, _words(R.NOTCOMPLIANTRFC)),
    (R.BADREPUTATION, _words(R.BADREPUTATION)),
    (R.REJECTED, _rejected),
    (R.HOSTUNKNOWN, _hostunknown),
    (R.SPAMDETECTED, _after_data(R.SPAMDETECTED)),
    (R.VIRUSDETECTED, _after_data(R.VIRUSDETECTED)),
    (R.SPEEDING, _words(R.SPEEDING)),
    (R.SYSTEMFULL, _words(R.SYSTEMFULL)),  # "452 4.4.5 Insufficient disk space": not congestion
    (R.TOOMANYCONN, _status_or_words(R.TOOMANYCONN)),
    (R.BLOCKED, _status_or_words(R.BLOCKED)),
)

# Second pass: words alone, when the status code said nothing or something vague (ClassOrder[1]).
SECOND_PASS: tuple[Reason, ...] = (
    R.MAILBOXFULL,
    R.SPAMDETECTED,
    R.POLICYVIOLATION,
    R.VIRUSDETECTED,
    R.NORELAYING,
    R.AUTHFAILURE,
    R.BADREPUTATION,
    R.SECURITYERROR,
    R.SYSTEMERROR,
    R.NETWORKERROR,
    R.SPEEDING,
    R.SUSPEND,
    R.EXPIRED,
    R.CONTENTERROR,
    R.SYSTEMFULL,
    R.NOTACCEPT,
    R.MAILERERROR,
)

# Status class fallbacks when no words matched: "5.6.x" content, "5.7.x" security.
CLASS_FALLBACK: Mapping[str, Reason] = MappingProxyType(
    {
        "4.6": R.CONTENTERROR,
        "5.6": R.CONTENTERROR,
        "4.7": R.SECURITYERROR,
        "5.7": R.SECURITYERROR,
    }
)
# Sisimai's syntaxerror.rb: a reply code 401-407 or 501-507, when nothing else decided; and RFC 5321's
# "500 Syntax error, command unrecognized"
SYNTAX_REPLY_CODES: frozenset[str] = frozenset({"500", *(f"{c}0{n}" for c in "45" for n in range(1, 8))})
# RFC 7504's "521 Host does not accept mail" and "556 Domain does not accept mail" (Sisimai's notaccept.rb)
NOTACCEPT_REPLY_CODES: frozenset[str] = frozenset({"521", "556"})


# "... at a rate that 550-5.2.1 prevents ...": the codes repeated on continuation lines
_MULTILINE = re.compile(r"\b[245]\d\d-")
_CONTINUATION = re.compile(r"(?<=\S)\s+[245]\d\d[- ](?:[245]\.\d{1,3}\.\d{1,3}\s)?")


def _one_reply(diagnostic: str) -> str:
    text = diagnostic.lower()
    return _CONTINUATION.sub(" ", text) if _MULTILINE.search(text) else text


def classify(facts: Facts) -> Reason:
    """The reason for one recipient's failure."""
    if facts.hint is not None and facts.hint not in RETRY:
        return facts.hint
    if facts.status and facts.status.startswith("2."):
        return R.DELIVERED
    text = _one_reply(facts.diagnostic)
    known = _remote_rule(facts, text)
    if known is not None:
        return known
    by_status = STATUS_REASONS.get(facts.status or "")
    said = Said(text)
    for reason, check in FIRST_PASS:
        # a vague hint ("userunknown" from a format that cannot tell) still settles its own rule
        if reason is facts.hint or check(facts, by_status, said):
            return reason
    found = facts.hint or _second_pass(facts, by_status, said)
    if found is not None:
        return found
    if facts.action is Action.DELAYED:
        return R.EXPIRED
    if said(R.VACATION):
        return R.VACATION
    return R.ONHOLD if text.strip() else R.UNDEFINED


def _remote_rule(facts: Facts, text: str) -> Reason | None:
    """The receiver's own documented meaning, when the bounce is from or to one (`receivers`)."""
    receiver = receiver_for(recipient=facts.recipient, remote_mta=facts.remote_mta, reporting_mta=facts.reporting_mta)
    if receiver is None:
        return None
    return receiver.reason(status=facts.status or "", reply_code=facts.reply_code or "", command=facts.command,
                           text=text)


def _second_pass(facts: Facts, by_status: Reason | None, said: Said) -> Reason | None:
    if by_status is not None and by_status not in RETRY:
        return by_status
    for reason in SECOND_PASS:
        if said(reason):
            return reason
    if facts.reply_code in NOTACCEPT_REPLY_CODES:
        return R.NOTACCEPT
    if by_status is not None:
        return by_status
    fallback = CLASS_FALLBACK.get((facts.status or "")[:3])
    if fallback is not None:
        return fallback
    if facts.reply_code in SYNTAX_REPLY_CODES:
        return R.SYNTAXERROR
    if facts.action is Action.DELAYED:
        return R.EXPIRED
    if facts.command in ("HELO", "EHLO", "CONN"):
        return R.BLOCKED
    return None


def is_hard(reason: Reason, status: str | None, reply_code: str | None, diagnostic: str = "") -> bool:
    """Sisimai's rule: userunknown, hostunknown, hasmoved; notaccept unless a code, or without a code
    its words ("temporarily", "persistent"), say temporary.

    A temporary code is never hard: "4.3.0 ... retry timeout exceeded" with "user unknown" in it is a
    failure the sender's MTA gave up on, not a mailbox the receiver says is missing.
    """
    code = status or reply_code or ""
    if code.startswith("4"):
        return False
    if reason is R.NOTACCEPT:
        return bool(code) or not any(word in diagnostic.lower() for word in (" temporar", " persistent"))
    return reason in HARD
