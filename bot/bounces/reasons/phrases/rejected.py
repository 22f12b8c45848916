"""The phrases that name `rejected`."""

from __future__ import annotations

from bot.bounces.reasons.phrases.base import Phrases

PHRASES = Phrases(
    contains=(
        # SecuMail
        "denied by secumail valid-address-filter",
        "access denied (sender blacklisted)",
        "invalid sender",
        "sender address has been blacklisted",
        "this server does not accept mail from",
        # Sender ID (PRA) check of the sender
        "can't determine purported responsible address",
        # Yahoo TSS04, refused at MAIL FROM
        "temporarily deferred due to unexpected volume or user complaints",
        "<> invalid sender",
        "access denied (in reply to mail from command)",
        "address rejected",
        "administrative prohibition",
        "batv failed to verify",
        "batv validation failure",  # SonicWall
        "backscatter protection detected an invalid or expired email address",  # MDaemon
        "bogus mail from",  # IMail
        "connections not accepted from servers without a valid sender domain",
        "denied [bouncedeny]",  # McAfee
        "delivery not authorized, message refused",
        "does not exist e2110",
        "domain of sender address ",
        "emetteur invalide",
        "empty envelope senders not allowed",
        "envelope blocked – ",
        "error: no third-party dsns",  # SpamWall
        "from: domain is invalid. please provide a valid from:",
        "fully qualified email address required",  # McAfee
        "invalid domain, see <url:",
        "is not a registered gateway user",
        "mail from not owned by user",
        "message rejected: email address is not verified",  # Amazon SES
        "mx records for ",
        "null sender is not allowed",
        "recipient addresses rejected : access denied",
        "recipient not accepted. (batv: no tag",
        "returned mail not accepted here",
        "rfc 1035 violation: recursive cname records for",
        "rule imposed mailbox access for",  # MailMarshal
        "sender email address rejected",
        "sender is spammer",
        "sender not pre-approved",
        "sender rejected",
        "sender domain is empty",
        "sender verify failed",  # Exim callout
        "syntax error: empty email address",
        "the message has been rejected by batv defense",
        "transaction failed unsigned dsn for",
        "unroutable sender address",
        "you are sending to/from an address that has been blacklisted",
        "sender address rejected",
    ),
    unless=("5.1.0 address rejected", "recipient address rejected", "sender ip address rejected"),
)
