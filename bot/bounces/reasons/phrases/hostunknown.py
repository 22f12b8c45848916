"""The phrases that name `hostunknown`."""

from __future__ import annotations

from bot.bounces.reasons.phrases.base import Phrases

PHRASES = Phrases(
    contains=(
        "unroutable address",
        "domain does not exist",
        "domain is not reachable",
        "domain must exist",
        "host or domain name not found",
        "host unknown",
        "host unreachable",
        "mail domain mentioned in email address is unknown",
        "name or service not known",
        "no such domain",
        "recipient address rejected: unknown domain name",
        "recipient domain must exist",
        "the account or domain may not exist",
        "unknown host",
        "unrouteable address",
        "domain not found",
        "host not found",
        "no mx record",
        "unrouteable mail domain",
    ),
    pairs=(("553 ", " does not exist"),),  # "553 example.net does not exist"
    unless=("host not found, try again",),
)
