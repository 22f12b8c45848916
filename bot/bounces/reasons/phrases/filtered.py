"""The phrases that name `filtered`."""

from __future__ import annotations

from bot.bounces.reasons.phrases.base import Phrases

PHRASES = Phrases(
    contains=(
        "because the recipient is only accepting mail from specific email addresses",  # AOL Phoenix
        "bounced address",  # SendGrid: the address bounced before
        "due to extended inactivity new mail is not currently being accepted for this mailbox",
        "has restricted sms e-mail",  # AT&T
        "is not accepting any mail",
        "refused due to recipient preferences",  # Facebook
        "resolver.rst.notauthorized",  # Exchange
        "this account is protected by",
        "user reject",
        "you have been blocked by the recipient",
        # Willcom
        "we failed to deliver mail because the following address recipient id refuse to receive mail",
    )
)
