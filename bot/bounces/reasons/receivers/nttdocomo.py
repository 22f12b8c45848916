"""NTT docomo's replies (docomo.ne.jp), via Sisimai's rhost/nttdocomo.rb."""

from __future__ import annotations

from types import MappingProxyType

from bot.bounces.reasons.receivers.base import Receiver, rules
from bot.models import Reason

R = Reason

# NTT docomo (mfsmax.docomo.ne.jp), via Sisimai's rhost/nttdocomo.rb: it says "550 Unknown user" at
# RCPT TO for a missing mailbox and after DATA for a refusal by the recipient's settings.
RECEIVER = Receiver(
    name="nttdocomo",
    hosts=("docomo.ne.jp",),
    statuses=MappingProxyType({"5.1.1": R.USERUNKNOWN, "5.2.0": R.FILTERED}),
    rules=rules(
        (R.MAILBOXFULL, ("552 too much mail data",)),
        (R.TOOMANYCONN, ("552 too many recipients",)),
        (R.SYNTAXERROR, ("503 bad sequence of commands", "504 command parameter not implemented")),
    ),
    commands=MappingProxyType({"RCPT": R.USERUNKNOWN, "DATA": R.REJECTED}),
)
