"""The phrases that name `policyviolation`."""

from __future__ import annotations

from bot.bounces.reasons.phrases.base import Phrases

PHRASES = Phrases(
    contains=(
        # Mimecast: 554 Host network not allowed
        "host network not allowed",
        "an illegal attachment on your message",
        "because the recipient is not accepting mail with ",  # AOL
        "by non-member to a members-only list",
        "closed mailing list",
        "denied by policy",
        "email not accepted for policy reasons",
        "email rejected due to security policies",  # Mimecast
        "header are not accepted",
        "header error",
        "local policy violation",
        "message bounced due to organizational settings",
        "message given low priority",
        "message not accepted for policy reasons",
        "message rejected due to local policy",
        "messages with multiple addresses",
        "rejected for policy reasons",
        "protocol violation",
        "the email address used to send your message is not subscribed to this group",  # Google Groups
        "the message was rejected by organization policy",
        "this message was blocked because its content presents a potential",  # Gmail
        "we do not accept messages containing images or other attachments",
        "you have exceeded the allowable number of posts without solving a captcha",
        "you're using a mass mailer",
        "policy violation",
    )
)
