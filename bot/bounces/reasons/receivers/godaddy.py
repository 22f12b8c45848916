"""GoDaddy's documented replies (godaddy.com/help/...-3568, the IBnnn codes), via Sisimai's rhost/godaddy.rb."""

from __future__ import annotations

import re
from types import MappingProxyType

from bot.bounces.reasons.receivers.base import Codes, Receiver, rules
from bot.models import Reason

R = Reason

RECEIVER = Receiver(
    name="godaddy",
    hosts=("smtp.secureserver.net", "mailstore1.secureserver.net"),
    # "550 This IP has sent too many messages this hour. IB504": the code names the reason
    codes=Codes(
        pattern=re.compile(r" (ib\d{3})\b"),
        table=MappingProxyType({
            "ib401": R.SECURITYERROR,  # authentication not allowed on inbound servers
            "ib501": R.NOTCOMPLIANTRFC,  # blank From:
            "ib502": R.NOTCOMPLIANTRFC,  # an IP address as the From:
            "ib506": R.REJECTED,  # From: domain invalid
            "ib508": R.AUTHFAILURE,  # SPF does not authorize the sender
            "ib108": R.REQUIREPTR,  # reverse DNS failed
            "ib212": R.SPAMDETECTED,  # content judged to be spam
            "ib705": R.VIRUSDETECTED,
            "ib605": R.TOOMANYCONN,  # too many recipients
            "ib007": R.TOOMANYCONN,  # too many sessions from this IP
            "ib101": R.SPEEDING,  # server temporarily unavailable
            "ib110": R.BLOCKED, "ib111": R.BLOCKED,  # too much spam from this IP
            "ib112": R.BLOCKED, "ib113": R.BLOCKED,  # too many invalid recipients from this IP
            "ib504": R.SPEEDING, "ib510": R.SPEEDING, "ib607": R.SPEEDING,  # hourly and per-session limits
            "ib103": R.BADREPUTATION,  # poor reputation on Cloudmark CSI
            "ib104": R.BLOCKED, "ib105": R.BLOCKED, "ib106": R.BLOCKED,  # Spamhaus SBL, XBL, PBL
        }),
    ),
    rules=rules(
        (R.BLOCKED, ("rbl reject", "www.spamhaus.org/query/bl?ip=")),
        (R.EXPIRED, ("has been in the queue too long", "delivery timeout")),
        (R.MAILBOXFULL, ("account storage limit",)),
        (R.SPAMDETECTED, ("message rejected for spam or virus content",)),
        (R.SUSPEND, ("account disabled",)),
        # This message is looping: it already has my Delivered-To line. (#5.4.6)
        (R.SYSTEMERROR, ("message is looping",)),
        (R.USERUNKNOWN, ("recipient not found", "account does not exist")),
    ),
)
