"""Mimecast's documented SMTP replies, via Sisimai's rhost/mimecast.rb."""

from __future__ import annotations

from bot.bounces.reasons.receivers.base import Receiver, rules
from bot.models import Reason

R = Reason

# Mimecast's documented SMTP replies (community.mimecast.com "Mimecast SMTP Error Codes"), via
# Sisimai's rhost/mimecast.rb
RECEIVER = Receiver(
    name="mimecast",
    hosts=("mimecast.com",),
    rules=rules(
        (
            R.AUTHFAILURE,
            (
                "spf sender invalid - envelope rejected",
                "dkim sender invalid - envelope rejected",
                "dmarc sender invalid - envelope rejected",
            ),
        ),
        (R.BADREPUTATION, ("local ct ip reputation - (reject)",)),
        (R.BLOCKED, ("sender address blocked", "ip temporarily blacklisted")),
        (R.MESGTOOBIG, ("maximum email size exceeded",)),
        (R.NETWORKERROR, ("the incorrect hostname used for inbounds", "mail loop detected")),
        (R.NORELAYING, ("open relay not allowed", "open relay is not allowed")),
        (
            R.POLICYVIOLATION,
            (
                "anti-spoofing policy - inbound not allowed",
                "rejected by header-based anti-spoofing policy",
                "message bounced due to content examination policy",
                "host network not allowed",
                "host network, not allowed",
            ),
        ),
        (
            R.REJECTED,
            (
                "administrative prohibition envelope blocked",
                "envelope blocked - user entry",
                "envelope blocked - user domain entry",
                "envelope rejected - block policy for envelope from address",
            ),
        ),
        (
            R.SECURITYERROR,
            (
                "submitter failed to authenticate",
                "this route requires encryption (tls)",
                "this route requires tls version 1.2 or greater",
                "this route requires high-strength ciphers",
            ),
        ),
        (R.TOOMANYCONN, ("account service is temporarily unavailable", "exceeding outbound thread limit")),
        # "554 email rejected due to security policies - MCSpamSignature...": a virus signature or a
        # spam score over the limit, as Mimecast documents it
        (R.VIRUSDETECTED, ("email rejected due to security policies",)),
    ),
)
