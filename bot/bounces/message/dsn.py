"""DSN fields: a message/delivery-status body (RFC 3464) → per-message and per-recipient fields
(used by `read_message`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from bot.bounces.message.headers import Headers, read_fields

# recipient blocks read from one delivery-status part: 10,000 cost ~0.5 s to read and classify, and
# a hostile 8 MB of tiny blocks would otherwise cost forty times that; beyond it `truncated` is set
MAX_RECIPIENTS = 10_000
# A part naming more recipients than that is no MTA's list but a hostile one: only its first
# HOSTILE_RECIPIENTS blocks are read (and `truncated` set), so it costs a few ms, not 0.5 s. The names
# are counted before any block is read, in one pass of str.count.
HOSTILE_RECIPIENTS = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryStatus:
    """A message/delivery-status body (RFC 3464): one per-message block, one block per recipient."""

    per_message: Headers
    per_recipient: tuple[Headers, ...]
    cut: bool = False  # more than MAX_RECIPIENTS recipient blocks: the rest were not read


_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def parse_delivery_status(text: str) -> DeliveryStatus:
    """Split RFC 3464 fields into the per-message block and one block per recipient.

    Blocks are separated by blank lines; a block without a recipient field is merged into its
    neighbour, which copes with MTAs that put a blank line inside a recipient's fields.
    """
    per_message = Headers()
    recipients: list[Headers] = []
    most = HOSTILE_RECIPIENTS if _named_recipients(text) > MAX_RECIPIENTS else MAX_RECIPIENTS
    for chunk in _chunks(text.strip()):
        block = read_fields(chunk)
        if not block:
            continue
        is_recipient = "final-recipient" in block or "original-recipient" in block
        if is_recipient:
            if len(recipients) == most:
                return DeliveryStatus(per_message=per_message, per_recipient=tuple(recipients), cut=True)
            recipients.append(block)
        elif recipients:
            recipients[-1] = Headers._of_normalised((*recipients[-1].pairs, *block.pairs))
        else:
            per_message = Headers._of_normalised((*per_message.pairs, *block.pairs)) if per_message else block
    return DeliveryStatus(per_message=per_message, per_recipient=tuple(recipients))


def _chunks(text: str) -> Iterator[str]:
    """`_BLANK_LINE.split(text)`, one block at a time: a cut list leaves the rest of the text unsplit."""
    at = 0
    for blank in _BLANK_LINE.finditer(text):
        yield text[at : blank.start()]
        at = blank.end()
    yield text[at:]


def _named_recipients(text: str) -> int:
    """How many recipient blocks `text` holds, at least: its "Final-Recipient:" or "Original-Recipient:"
    fields (any case), whichever are more; 0 for a text too short to hold more than MAX_RECIPIENTS."""
    if len(text) <= len("Final-Recipient:") * MAX_RECIPIENTS:
        return 0  # too short to name more than MAX_RECIPIENTS: not worth a pass
    lowered = text.lower()
    return max(lowered.count("final-recipient:"), lowered.count("original-recipient:"))
