"""The phrases that name `securityerror`."""

from __future__ import annotations

from bot.bounces.reasons.phrases.base import Phrases

PHRASES = Phrases(
    contains=(
        "account not subscribed to ses",
        "authentication credentials invalid",
        "authentication failure",
        "authentication required",
        "authentication turned on in your email client",
        "executable files are not allowed in compressed files",
        "insecure mail relay",
        "recipient address rejected: access denied",
        "sorry, you don't authenticate or the domain isn't in my list of allowed rcpthosts",
        "tls required but not supported",  # SendGrid
        "unauthenticated senders not allowed",
        "verification failure",
        "you are not authorized to send mail, authentication is required",
        "must issue a starttls command first",
        "encryption required",
        "starttls is required",
    ),
    pairs=(
        ("authentication failed; server ", " said: "),  # Postfix
        ("authentification requise", "402"),
        ("domain ", " is a dead domain"),
        ("user ", " is not authorized to perform ses:sendrawemail on resource"),  # Amazon SES
    ),
)
