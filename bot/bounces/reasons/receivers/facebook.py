"""Facebook's documented reply labels (postmaster.facebook.com/response_codes), via Sisimai's rhost/facebook.rb."""

from __future__ import annotations

import re
from types import MappingProxyType

from bot.bounces.reasons.receivers.base import Codes, Receiver
from bot.models import Reason

R = Reason

RECEIVER = Receiver(
    name="facebook",
    hosts=("facebook.com",),
    # "550 5.1.1 RCP-P1 http://postmaster.facebook.com/response_codes?ip=...#rcp Refused due to recipient preferences"
    codes=Codes(
        pattern=re.compile(r"\b([a-z]{3}-[pt][0-9x])\b"),
        table=MappingProxyType({
            "pol-p7": R.AUTHFAILURE,
            **dict.fromkeys(("pol-p1", "pol-p2", "pol-p3", "pol-p4", "pol-t1", "pol-t2", "pol-t3"), R.BLOCKED),
            "msg-p2": R.CONTENTERROR,  # an attachment type it does not accept
            "rcp-p2": R.FILTERED, "rcp-p3": R.FILTERED,  # the recipient's preferences or privacy settings
            "int-p7": R.MAILBOXFULL,
            "msg-p1": R.MESGTOOBIG, "int-p2": R.MESGTOOBIG,
            "msg-p3": R.NOTCOMPLIANTRFC,  # a header field present more than once
            "pol-p8": R.POLICYVIOLATION,
            "dns-p1": R.REJECTED, "dns-p2": R.REJECTED, "dns-t1": R.REJECTED,  # the MAIL FROM domain
            "dns-p3": R.REQUIREPTR, "dns-t2": R.REQUIREPTR,
            "pol-p6": R.SPAMDETECTED,  # a blocked URL
            "rcp-t4": R.SUSPEND,  # the address is deactivated
            "rcp-t1": R.SYSTEMERROR, "int-tx": R.SYSTEMERROR,
            **dict.fromkeys(("con-t1", "con-t2", "con-t3", "con-t4", "msg-t1"), R.TOOMANYCONN),
            **dict.fromkeys(("rcp-p1", "int-p1", "int-p3", "int-p4"), R.USERUNKNOWN),
            "pol-p5": R.VIRUSDETECTED,
        }),
    ),
)
