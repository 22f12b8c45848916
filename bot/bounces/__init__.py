"""Bounce parsing: `parse(raw) -> Report`, pure and never raising on bad mail.

Called by `bouncecheck parse`, the mailbox scanner and the demo. The pipeline reads in `parse`:
bytes → `MessageView` (message/) → the first detector that recognises the format
(detectors/) → one classified record per recipient (reasons/) → the bounced original and
whether it was ours (origin.py) → blocklists cited (blocklists.py). No detector hit: an
auto-reply (autoreply.py) or ordinary mail.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypedDict

from bot.bounces.autoreply import is_autoreply
from bot.bounces.blocklists import cited_blocklists
from bot.bounces.detectors import DETECTORS
from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.message import MessageView, parse_header_block, read_message
from bot.bounces.origin import describe_original
from bot.bounces.reasons import Facts, classify, is_hard
from bot.models import Action, Kind, Ownership, Reason, RecipientFailure, Report

__all__ = ["DEFAULT_MAX_BYTES", "find_extraction", "parse"]

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def parse(
    raw: bytes,
    *,
    ownership: Ownership = Ownership(),  # noqa: B008 - frozen, so a shared default is safe
    max_bytes: int = DEFAULT_MAX_BYTES,
    strict: bool = False,
) -> Report:
    """What `raw` is and what it reports; reads at most `max_bytes` of it.

    Never raises on bad mail. A bug in our own code is logged with its traceback and the message
    comes back as not_bounce with `error` set, so one message cannot stop a scan; `strict=True`
    (the tests) lets the exception through instead.
    """
    try:
        return _parse(raw, ownership=ownership, max_bytes=max_bytes)
    except Exception as exc:
        if strict:
            raise
        logger.exception("parser bug on a %d-byte message", len(raw))
        return Report(kind=Kind.NOT_BOUNCE, truncated=len(raw) > max_bytes, error=f"parser error: {exc!r}")


def _parse(raw: bytes, *, ownership: Ownership, max_bytes: int) -> Report:
    message = read_message(raw, max_bytes=max_bytes)
    extraction = find_extraction(message)
    if extraction is None:
        kind = Kind.AUTOREPLY if is_autoreply(message) else Kind.NOT_BOUNCE
        return Report(kind=kind, **_own_fields(message))
    recipients = tuple(_classified(facts, extraction.kind, extraction.reporting_mta) for facts in extraction.recipients)
    original_headers = (
        parse_header_block(extraction.original_headers) if extraction.original_headers else message.original
    )
    return Report(
        kind=extraction.kind,
        mta=extraction.mta,
        reporting_mta=extraction.reporting_mta,
        recipients=recipients,
        original=describe_original(message, original_headers, ownership),
        cited_blocklists=cited_blocklists([r.diagnostic for r in recipients]),
        **_own_fields(message, cut=extraction.truncated),
    )


def find_extraction(message: MessageView) -> Extraction | None:
    """The first detector's extraction, in registry order; a detector bug is logged and re-raised."""
    for detector in DETECTORS:
        try:
            found = detector.detect(message)
        except Exception:
            logger.exception("detector %s failed", detector.name)
            raise
        if found is not None and (found.recipients or found.kind is not Kind.BOUNCE):
            return found
    return None


def _classified(facts: RecipientFacts, kind: Kind, reporting_mta: str | None) -> RecipientFailure:
    if kind is Kind.FEEDBACK:
        reason = Reason.FEEDBACK
    else:
        # The recipient's domain and both hosts pick the receiver whose documented replies are read first.
        reason = classify(Facts(status=facts.status, reply_code=facts.reply_code, diagnostic=facts.diagnostic,
                                command=facts.command, action=facts.action, hint=facts.reason,
                                recipient=facts.recipient, remote_mta=facts.remote_mta, reporting_mta=reporting_mta))
    hard = facts.action is Action.FAILED and is_hard(reason, facts.status, facts.reply_code, facts.diagnostic)
    return RecipientFailure(
        address=facts.recipient,
        action=facts.action,
        status=facts.status,
        reply_code=facts.reply_code,
        reason=reason,
        hard=hard,
        diagnostic=facts.diagnostic,
        remote_mta=facts.remote_mta,
    )


class _OwnFields(TypedDict):
    """What the report says of the bounce itself, whatever it is."""

    message_id: str | None
    subject: str | None
    date: datetime | None
    truncated: bool


def _own_fields(message: MessageView, *, cut: bool = False) -> _OwnFields:
    """The bounce's own Message-ID, Subject and Date; truncated when a read cap or the detector's (`cut`) applied."""
    return _OwnFields(
        message_id=message.header("message-id") or None,
        subject=message.subject or None,
        date=_date(message.header("date")),
        truncated=message.truncated or cut,
    )


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        return None
    try:
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
