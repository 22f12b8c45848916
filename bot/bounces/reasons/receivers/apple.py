"""Apple iCloud Mail's documented replies, via Sisimai's rhost/apple.rb (support.apple.com/102322)."""

from __future__ import annotations

from bot.bounces.reasons.receivers.base import Receiver, rules
from bot.models import Reason

R = Reason

RECEIVER = Receiver(
    name="apple",
    hosts=("mail.icloud.com", "apple.com", "me.com", "privaterelay.appleid.com"),
    domains=("icloud.com", "me.com", "mac.com"),
    rules=rules(
        # 554 5.7.1 [HME1] This message was blocked for failing both SPF and DKIM authentication checks.
        (R.AUTHFAILURE, ("'s dmarc policy", "blocked for failing both spf and dkim autentication checks",
                         "blocked for failing both spf and dkim authentication checks")),
        # 550 5.7.1 Mail from IP 192.0.2.1 was rejected due to listing in Spamhaus SBL.
        (R.BLOCKED, ("rejected due to having a domain present in the spamhaus", "rejected due to listing in spamhaus",
                     "blocked - see https://support.proofpoint.com/dnsbl-lookup", "not accepting connections")),
        # 550 5.1.6 recipient no longer on server: x@icloud.com
        (R.HASMOVED, ("recipient no longer on server",)),
        (R.MAILBOXFULL, ("user is over quota",)),
        (R.NORELAYING, ("relay access denied",)),
        (R.NOTACCEPT, ("host/domain does not accept mail",)),
        # 550 5.7.1 [CS01] Message rejected due to local policy.
        (R.POLICYVIOLATION, ("due to local policy",)),
        (R.REJECTED, ("sender address rejected",)),
        # 421 4.7.1 Messages to x@icloud.com deferred due to excessive volume.
        (R.SPEEDING, ("due to excessive volume",)),
        # 550 5.1.1 <x@icloud.com>: inactive email address (in reply to RCPT TO command)
        (R.USERUNKNOWN, ("inactive email address", "user does not exist", "unknown or illegal alias")),
    ),
)
