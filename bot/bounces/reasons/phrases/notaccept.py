"""The phrases that name `notaccept`."""

from __future__ import annotations

from bot.bounces.reasons.phrases.base import Phrases

PHRASES = Phrases(
    contains=(
        "mail receiving disabled",
        "no route for current request",
        "host/domain does not accept mail",  # iCloud
        "host does not accept mail",  # Sendmail
        "name server: .: host not found",  # Sendmail
        "no mx record found for domain=",  # Yahoo (Oath)
        "smtp protocol returned a permanent error",
        "null mx",
        "does not accept mail",
        "destination seem to reject all mails",  # OpenSMTPD
        "mx or srv record indicated no smtp ",  # Exim
        "no host found for existing smtp ",  # Exim
    ),
    pairs=(("no mx ", "found for "),),  # OpenSMTPD: "No MX found for domain"
)
