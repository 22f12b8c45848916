"""Symantec Email Security.cloud's (MessageLabs) documented replies, via Sisimai's rhost/messagelabs.rb."""

from __future__ import annotations

from bot.bounces.reasons.receivers.base import Receiver, rules
from bot.models import Reason

R = Reason

RECEIVER = Receiver(
    name="messagelabs",
    hosts=("messagelabs.com",),
    rules=rules(
        # 553-SPF (Sender Policy Framework) domain authentication fail
        (R.AUTHFAILURE, ("domain authentication fail",)),
        # 501 Connection rejected by policy [7.7] 20805
        (R.BADREPUTATION, ("connection rejected by policy",)),
        (R.BLOCKED, ("mail rejected because your ip is in the pbl", "your ip address has been ",
                     "your ip address (ip-addr) has been blocked", "your email address (addr) has been blocked")),
        # 553 Stray linefeeds in message (#5.6.2)
        (R.CONTENTERROR, ("stray linefeeds in message",)),
        # 451 TLS/SSLv3 Connection required. (#4.7.1): Sisimai's "failedstarttls", our securityerror
        (R.SECURITYERROR, ("tls/sslv3 connection required", "please turn on smtp authentication in your mail client")),
        (R.NORELAYING, (" as a relay, ",)),
        (R.NOTCOMPLIANTRFC, ("550 requested action aborted [4]", "has detected that this message is not rfc 5322")),
        # 452 Too many recipients received this hour; 460 too many messages (#4.3.0): Sisimai's
        # "ratelimited", which is toomanyconn in the vocabulary we report (as for Tencent's)
        (R.TOOMANYCONN, ("too many recipients received this hour", "too many messages")),
        (R.REJECTED, ("sender envelope domain not allowed for sender ip address", "your domain has been blocked",
                      "your email address has been blocked", "your envelope sender is in my badmailfrom list",
                      "your email address has been blacklisted", "your domain has been blacklisted")),
        # 553 - Message Filtered
        (R.SPAMDETECTED, ("message filtered", "filtered by outbound scanning")),
        # 550-Invalid recipient <x@example.com> 550 (#5.1.1); 553 Recipient mailbox is not allowed
        (R.USERUNKNOWN, ("no such user", "invalid recipient", "mailbox is not allowed")),
    ),
)
