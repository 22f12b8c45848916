"""The detector interface: one MTA format per module, facts only, "not my format" is ``None``.

`bot.bounces.parse` walks `bot.bounces.detectors.DETECTORS` in order and keeps the first
`Extraction` a detector returns. Detectors pull facts out of a `MessageView`; they never decide
the reason or hard/soft (that is `bot.bounces.reasons`), though they may pass a `reason` hint when
their format states it plainly (e.g. an ESP's "bounceSubType": "MailboxFull").

A detector must not raise on malformed input: bad mail returns ``None`` or a partial extraction.
An exception out of a detector is a bug; the registry loop logs it and re-raises it. A bounce
extraction with no recipients counts as "not my format" and the next detector is asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from bot.models import Action, Kind, Reason

if TYPE_CHECKING:
    from bot.bounces.message import MessageView


@dataclass(frozen=True, slots=True, kw_only=True)
class RecipientFacts:
    """What a bounce says about one recipient, as written in the bounce (no interpretation)."""

    recipient: str  # bare address, "kijitora@example.org"; "" when the bounce names nobody
    action: Action = Action.FAILED
    status: str | None = None  # enhanced status code "5.1.1" if the bounce gives one
    reply_code: str | None = None  # SMTP reply code "550" if the bounce gives one
    diagnostic: str = ""  # the remote server's words, one line, whitespace squeezed
    remote_mta: str | None = None  # host that refused, "mx.example.org"
    command: str | None = None  # SMTP command that failed: "RCPT", "DATA", "MAIL", "HELO", "CONN"
    reason: Reason | None = None  # hint, only when the format states the reason outright


@dataclass(frozen=True, slots=True, kw_only=True)
class Extraction:
    """What one detector found in one message."""

    mta: str  # detector name: "rfc3464", "postfix", "exchange", ...
    recipients: tuple[RecipientFacts, ...] = ()
    reporting_mta: str | None = None  # the host that wrote the bounce
    kind: Kind = Kind.BOUNCE  # a detector may say DELIVERED (success DSN) or FEEDBACK
    # Raw header block of the bounced original when the detector found it quoted inline in a
    # format-specific way (e.g. after "------ This is a copy of the message, including all the
    # headers. ------"); None lets bot.bounces.message's generic search decide.
    original_headers: str | None = None
    truncated: bool = False  # a cap of the detector's own stopped its reading: the list may be incomplete


@runtime_checkable
class Detector(Protocol):
    """One MTA or provider format. ``detect`` returns None when the message is not its format."""

    @property
    def name(self) -> str: ...

    def detect(self, message: MessageView) -> Extraction | None: ...
