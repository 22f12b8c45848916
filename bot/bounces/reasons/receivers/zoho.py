"""Zoho Mail's replies (zoho.com/mail/help/spam-reason.html, smtpfieldmanual.com/provider/zoho), via
Sisimai's rhost/zoho.rb."""

from __future__ import annotations

from bot.bounces.reasons.receivers.base import Receiver, rules
from bot.models import Reason

R = Reason

RECEIVER = Receiver(
    name="zoho",
    hosts=("zoho.com", "zoho.eu"),
    domains=("zoho.com", "zoho.eu"),
    rules=rules(
        # 550 5.7.1 Email rejected per DMARC policy for zoho.com
        (R.AUTHFAILURE, ("email rejected per dmarc policy",)),
        # 451 4.7.1 Greylisted, try again after some time (in reply to RCPT TO command)
        (R.BLOCKED, ("greylisted, try again after some time",)),
        # 554 5.7.1 Email cannot be delivered. Reason: Email flagged as Spam. (at RCPT TO)
        # 541 5.4.1 Mail rejected by destination domain
        (R.REJECTED, ("email cannot be delivered. reason: email flagged as spam",
                      "mail rejected by destination domain")),
        # 554 5.7.7 Email policy violation detected (in reply to end of DATA command)
        (R.POLICYVIOLATION, ("email policy violation detected", "mailbox delivery restricted by policy error")),
        # 452 4.3.1 Temporary System Error
        (R.SYSTEMERROR, ("temporary system error",)),
        # 550 5.1.1 User does not exist - <a@zoho.com>
        (R.USERUNKNOWN, ("user does not exist",)),
        # 552 5.7.1 virus <name> detected by Zoho Mail
        (R.VIRUSDETECTED, (" detected by zoho mail",)),
    ),
)
