"""The phrases that name `authfailure`."""

from __future__ import annotations

from bot.bounces.reasons.phrases.base import Phrases

PHRASES = Phrases(
    contains=(
        # Gmail: 550-5.7.26 Unauthenticated email from x is not accepted due to domain's DMARC policy
        "unauthenticated email from",
        "spf record with a hard fail",
        "multiple authentication checks failed",
        "//spf.pobox.com",
        "bad spf records for",
        "dmarc policy",
        "please inspect your spf settings",
        "sender policy framework (spf) fail",
        "sender policy framework violation",  # Microsoft: 550 5.7.23
        "doesn't meet the required authentication level",  # Microsoft: 550 5.7.515
        "5322.from address doesn't meet the authentication requirements",  # Microsoft
        "spf (sender policy framework) domain authentication fail",
        "spf check: fail",
        "spf fail",
        "dkim",
        "dmarc",
        "is not allowed to send from",
        "not authorized to send on behalf of",
    ),
    pairs=(
        (" is not allowed to send mail.", "_401"),
        ("is not allowed to send from <", " per it's spf record"),
        ("spf: ", " is not allowed to send "),
        ("is not allowed to send ", " spf "),
    ),
)
