"""The phrases that name `mailboxfull`."""

from __future__ import annotations

from bot.bounces.reasons.phrases.base import Phrases

PHRASES = Phrases(
    contains=(
        "account disabled temporarly for exceeding receiving limits",
        "account is exceeding their quota",
        "account is over quota",
        "account is temporarily over quota",
        "boite du destinataire pleine",
        "delivery failed: over quota",
        "disc quota exceeded",
        "does not have enough space",
        "exceeded storage allocation",
        "exceeding its mailbox quota",
        "full mailbox",
        "is over disk quota",
        "is over quota temporarily",
        "mail file size exceeds the maximum size allowed for mail delivery",
        "mail quota exceeded",
        "mailbox exceeded the local limit",
        "mailbox full",
        "mailbox has exceeded its disk space limit",
        "mailbox is full",
        "mailbox over quota",
        "mailbox quota usage exceeded",
        "mailbox size limit exceeded",
        "maildir over quota",
        "maildir delivery failed: userdisk quota ",
        "maildir delivery failed: domaindisk quota ",
        "mailfolder is full",
        "not enough storage space in",
        "over the allowed quota",
        "quota exceeded",
        "quota violation for",
        "recipient reached disk quota",
        "recipient rejected: mailbox would exceed maximum allowed storage",
        "the recipient mailbox has exceeded its disk space limit",
        "the user's space has been used up",
        "the user you are trying to reach is over quota",
        "too much mail data",  # NTT docomo
        "user has exceeded quota, bouncing mail",
        "user has too many messages on the server",
        "user is over quota",
        "user is over the quota",
        "user over quota",
        "was automatically rejected: quota exceeded",
        "would be over the allowed quota",
        "mailbox is over quota",
        "over quota",
        "inbox is full",
        "out of storage space",
        "mailbox is out of storage",
        "exceeded its quota",
        "is full and can't accept",
        "diskspace quota",  # vpopmail: the recipient's maildir has overdrawn his diskspace quota
        "account is full",
    )
)
