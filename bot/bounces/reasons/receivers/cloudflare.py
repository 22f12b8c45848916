"""Cloudflare Email Routing's documented replies (developers.cloudflare.com/email-routing/postmaster/),
via Sisimai's rhost/cloudflare.rb."""

from __future__ import annotations

from bot.bounces.reasons.receivers.base import Receiver, rules
from bot.models import Reason

R = Reason

RECEIVER = Receiver(
    name="cloudflare",
    hosts=("mx.cloudflare.net",),
    rules=rules(
        # 554 <192.0.2.1> found on one or more DNSBLs (abusixip)
        (R.BLOCKED, ("found on one or more dnsbls",)),
        # "Upstream error": the address Cloudflare forwards to failed
        (R.SYSTEMERROR, ("upstream error",)),
    ),
)
