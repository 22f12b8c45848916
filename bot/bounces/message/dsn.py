"""DSN fields: a message/delivery-status body (RFC 3464) → per-message and per-recipient fields
(used by `read_message`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.bounces.message.headers import Headers, read_fields

# recipient blocks read from one delivery-status part: 10,000 cost ~0.5 s to read and classify, and
# a hostile 8 MB of tiny blocks would otherwise cost forty times that; beyond it `truncated` is set
MAX_RECIPIENTS = 10_000


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
    for chunk in _BLANK_LINE.split(text.strip()):
        block = read_fields(chunk)
        if not block:
            continue
        is_recipient = "final-recipient" in block or "original-recipient" in block
        if is_recipient:
            if len(recipients) == MAX_RECIPIENTS:
                return DeliveryStatus(per_message=per_message, per_recipient=tuple(recipients), cut=True)
            recipients.append(block)
        elif recipients:
            recipients[-1] = Headers._of_normalised((*recipients[-1].pairs, *block.pairs))
        else:
            per_message = Headers._of_normalised((*per_message.pairs, *block.pairs)) if per_message else block
    return DeliveryStatus(per_message=per_message, per_recipient=tuple(recipients))
