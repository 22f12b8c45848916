"""The phrases that name `suspend`."""

from __future__ import annotations

from bot.bounces.reasons.phrases.base import Phrases

PHRASES = Phrases(
    contains=(
        "is unavailable: user is terminated",
        " is currently suspended",
        " temporary locked",
        "boite du destinataire archivee",
        "email account that you tried to reach is disabled",  # Gmail
        "invalid/inactive user",
        "is a deactivated mailbox",  # QQ
        "mailbox currently suspended",
        "mailbox is frozen",
        "mailbox unavailable or access denied",
        "recipient rejected: temporarily inactive",
        "recipient suspend the service",
        "this account has been disabled or discontinued",
        "this mailbox is disabled",
        "user suspended",  # 163.com
        "vdelivermail: account is locked email bounced",
        "account has been suspended",
        "account is disabled",
        "account disabled",
        "account is inactive",
        "mailbox disabled",
        "account has been disabled",
        "mailbox is disabled",
        "user is disabled",
        "account is suspended",
        "mailbox is suspended",
        "user is suspended",
        "has been suspended",
        "user account disabled",
        "archived recipient",
        "inactive account",
        "the email account that you tried to reach is inactive",  # Gmail
        "this account has been temporarily suspended",
        "this address no longer accepts mail",
        "user or domain is disabled",
    )
)
