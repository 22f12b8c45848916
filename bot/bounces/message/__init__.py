"""Bytes → `MessageView`: the normalised message every detector reads (called by `parse`).

The view is built once per message and never raises: line endings are made LF, headers are
unfolded and decoded (8-bit bytes as UTF-8 or a guess, RFC 2047 words when they decode), text
parts are decoded with their declared charset or a guess, HTML is reduced to text. The steps live
beside this module: MIME reading (`mime`), DSN fields (`dsn`), the quoted original (`quoted`), all
on header fields read by `headers`.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.bounces.message.dsn import HOSTILE_RECIPIENTS, MAX_RECIPIENTS, DeliveryStatus, parse_delivery_status
from bot.bounces.message.headers import (
    Headers,
    decode_bytes,
    decode_header_value,
    first_address,
    parse_header_block,
    squeeze,
)
from bot.bounces.message.mime import (
    DSN_TYPES,
    MAX_ORIGINAL_CHARS,
    MAX_PARTS,
    MAX_STATUS_CHARS,
    MAX_TEXT_CHARS,
    ORIGINAL_TYPES,
    Part,
    flatten,
    html_to_text,
    human_text,
    leaves,
    read_entity,
)
from bot.bounces.message.quoted import quoted_header_block

__all__ = [
    "HOSTILE_RECIPIENTS",
    "MAX_ORIGINAL_CHARS",
    "MAX_PARTS",
    "MAX_RECIPIENTS",
    "MAX_STATUS_CHARS",
    "MAX_TEXT_CHARS",
    "DeliveryStatus",
    "Headers",
    "MessageView",
    "Part",
    "decode_bytes",
    "decode_header_value",
    "first_address",
    "html_to_text",
    "parse_delivery_status",
    "parse_header_block",
    "quoted_header_block",
    "read_message",
    "squeeze",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageView:
    """What detectors read. All text is str with LF line endings."""

    headers: Headers  # the bounce's own header
    subject: str
    from_address: str  # bare, lower case; "" if none
    content_type: str  # lower case, "multipart/report"
    report_type: str  # lower case report-type parameter; "" when not multipart/report
    parts: tuple[Part, ...]  # MIME leaves in order (one part, the body, for a single-part message)
    text: str  # human-readable text: text/plain parts (or HTML reduced to text), joined
    # Sisimai-style flattened body: `text`, then each machine-readable part after a line
    # "Content-Type: message/delivery-status" (or message/feedback-report, message/rfc822,
    # text/rfc822-headers) and a blank line, so ports of line-oriented parsers work on one string.
    body: str
    delivery_status: DeliveryStatus | None  # the first message/delivery-status part, parsed
    feedback_report: Headers | None  # the message/feedback-report fields (ARF)
    original: Headers | None  # headers of the bounced original: attached or quoted inline
    original_text: str  # the original as attached or quoted (headers and start of body), capped
    # the raw message was cut at the read cap, or a human-text or delivery-status part at its own:
    # what the report lists may be incomplete
    truncated: bool

    def header(self, name: str) -> str:
        return self.headers.get(name)


def read_message(raw: bytes, *, max_bytes: int) -> MessageView:
    """Build the view of `raw`, read up to `max_bytes`; never raises on malformed mail."""
    truncated = len(raw) > max_bytes
    top = read_entity(raw[:max_bytes] if truncated else raw)
    headers = top.headers
    parts = tuple(leaves(top))
    text = human_text(parts)
    status_part = next((p for p in parts if p.content_type in DSN_TYPES), None)
    feedback_part = next((p for p in parts if p.content_type == "message/feedback-report"), None)
    original_part = next((p for p in parts if p.content_type in ORIGINAL_TYPES), None)
    original_text = original_part.text if original_part is not None else quoted_header_block(text)
    original = parse_header_block(original_text) if original_text else None
    delivery_status = parse_delivery_status(status_part.text) if status_part is not None else None
    return MessageView(
        headers=headers,
        subject=headers.get("subject"),
        from_address=first_address(headers.get("from")),
        content_type=top.content_type,
        report_type=top.params.get("report-type", "").lower() if top.content_type == "multipart/report" else "",
        parts=parts,
        text=text,
        body=flatten(text, parts),
        delivery_status=delivery_status,
        feedback_report=parse_header_block(feedback_part.text) if feedback_part is not None else None,
        original=original or None,
        original_text=original_text,
        truncated=truncated or any(p.cut for p in parts if p.content_type not in ORIGINAL_TYPES)
        or (delivery_status is not None and delivery_status.cut),
    )
