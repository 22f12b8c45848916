"""Tencent QQ Mail's documented replies (service.mail.qq.com/detail/122/*), via Sisimai's rhost/tencent.rb."""

from __future__ import annotations

from bot.bounces.reasons.receivers.base import Receiver, rules
from bot.models import Reason

R = Reason

RECEIVER = Receiver(
    name="tencent",
    hosts=("qq.com",),
    domains=("qq.com",),
    rules=rules(
        (R.AUTHFAILURE, ("spf check failed", "dmarc check failed")),
        (R.BLOCKED, ("suspected bounce attacks", "suspected spam ip", "connection denied")),
        (R.MESGTOOBIG, ("message too large",)),  # Sisimai's "emailtoolarge", not one of its reasons
        # 550 Ip frequency limited; "ratelimited" in Sisimai's table, toomanyconn in our tables
        (R.TOOMANYCONN, ("mailbox unavailable or access denined", "ip frequency limited", "domain frequency limited",
                         "sender frequency limited", "connection frequency limited",
                         "frequency of receiving messages is limited")),
        (R.REJECTED, ("suspected spam", "mail is rejected by recipients")),
        (R.SPAMDETECTED, ("spam is embedded in the email", "mail content denied")),
        (R.SUSPEND, ("is a deactivated mailbox",)),
        (R.SYNTAXERROR, ("bad address syntax",)),
        (R.USERUNKNOWN, ("mailbox not found",)),
    ),
)
