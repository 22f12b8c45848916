"""Spectrum's (Charter) documented AUP# codes (spectrumbusiness.net ... understanding-email-error-codes),
via Sisimai's rhost/spectrum.rb."""

from __future__ import annotations

import re
from types import MappingProxyType

from bot.bounces.reasons.receivers.base import Codes, Receiver
from bot.models import Reason

R = Reason


def _span(low: int, high: int, reason: Reason) -> dict[str, Reason]:
    return {str(code): reason for code in range(low, high + 1)}


RECEIVER = Receiver(
    name="spectrum",
    hosts=("charter.net",),
    domains=("charter.net",),
    # "554 5.7.1 ... AUP#I-1000" (incoming) or "AUP#O-1010" (outgoing): four digits name the reason
    codes=Codes(
        pattern=re.compile(r"aup#[-a-z]*(\d{4})"),
        table=MappingProxyType({
            "1000": R.BLOCKED,  # the IP is blocked for suspicious activity
            "1010": R.REJECTED,  # the sending account is blocked
            **_span(1020, 1080, R.REJECTED),  # the sending account is limited
            "1090": R.SYSTEMERROR,
            **_span(1100, 1150, R.REQUIREPTR),  # no full-circle DNS
            **_span(1160, 1190, R.POLICYVIOLATION),  # against the domain's security policies
            **_span(1200, 1210, R.BLOCKED),  # Cloudmark CSI
            **_span(1220, 1250, R.BLOCKED),  # Spamhaus
            "1260": R.NETWORKERROR,  # no IPv6
            **_span(1300, 1340, R.TOOMANYCONN),
            **_span(1350, 1490, R.SPEEDING),
            "1500": R.REJECTED, "1520": R.REJECTED,  # sending as another address or domain
            "1530": R.MESGTOOBIG,  # over 20 MB
            "1540": R.SPEEDING, "1550": R.SPEEDING, "1580": R.SPEEDING,
            "1560": R.POLICYVIOLATION,  # too many invalid recipients
        }),
    ),
)
