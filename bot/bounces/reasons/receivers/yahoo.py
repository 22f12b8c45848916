"""Yahoo Inc.'s (Yahoo, AOL) documented replies, via Sisimai's rhost/yahooinc.rb and rhost/aol.rb.

senders.yahooinc.com/smtp-error-codes; AOL's MX is Yahoo's (mx-aol.mail.gm0.yahoodns.net).
"""

from __future__ import annotations

from bot.bounces.reasons.receivers.base import Receiver, rules
from bot.models import Reason

R = Reason

RECEIVER = Receiver(
    name="yahoo",
    hosts=("yahoodns.net",),
    # Left out: Sisimai 5.2 reads "[TSS04] ... temporarily deferred due to unexpected volume or user
    # complaints" as badreputation; 5.1, whose answers we are measured on, as rejected (phrases/rejected.py).
    rules=rules(
        # 550 5.7.9 This mail has been blocked because the sender is unauthenticated. Yahoo requires ...
        (R.AUTHFAILURE, ("yahoo requires all senders to authenticate with either spf or dkim",)),
        # 553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.25, because the ip is in Spamhaus's list;
        (R.BLOCKED, (" because the ip is in spamhaus's list;", "not accepted from ip addresses on spamhaus xbl")),
        (R.NORELAYING, ("relaying denied for ",)),
        (R.NOTCOMPLIANTRFC, ("headers are not rfc compliant",)),
        # 554 Message not allowed - [PH01] Email not accepted for policy reasons.
        (R.POLICYVIOLATION, ("not accepted for policy reasons",)),
        # 553 5.7.2 [TSS09] All messages from 192.0.2.25 will be permanently deferred; Retrying will NOT succeed.
        (R.REJECTED, ("due to unresolvable rfc.5321 domain", "due to unresolvable rfc.5321 from domain",
                      " will be permanently deferred")),
        (R.SPEEDING, ("user is receiving mail too quickly",)),
        # 554 delivery error: dd x@yahoo.com is no longer valid.
        (R.SUSPEND, (" is no longer valid.", "this mailbox is disabled")),
        (R.SYNTAXERROR, ("syntax error in parameters or arguments",)),
        (R.TOOMANYCONN, ("max message per connection reached",)),
        # 552 1 Requested mail action aborted, mailbox not found (in reply to end of DATA command)
        (R.USERUNKNOWN, ("dd this user doesn't have a ", "mailbox not found")),
    ),
)

AOL = Receiver(
    name="aol",
    hosts=("mail.aol.com", "mx.aol.com"),
    domains=("aol.com",),
    rules=rules(
        (R.HOSTUNKNOWN, ("host or domain name not found",)),
        (R.NOTACCEPT, ("type=mx: malformed or unexpected name server reply",)),
    ),
)
