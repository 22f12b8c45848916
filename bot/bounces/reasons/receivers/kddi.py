"""au by KDDI's replies (ezweb.ne.jp, au.com), via Sisimai's rhost/kddi.rb."""

from __future__ import annotations

from bot.bounces.reasons.receivers.base import Receiver, rules
from bot.models import Reason

R = Reason

# au by KDDI (ezweb.ne.jp), via Sisimai's rhost/kddi.rb: the bare "550 : User unknown" is its
# address filter speaking, "550 <x@ezweb.ne.jp>: User unknown" a mailbox that does not exist.
RECEIVER = Receiver(
    name="kddi",
    hosts=("ezweb.ne.jp", "au.com"),
    rules=rules((R.FILTERED, ("550 : user unknown",)), (R.USERUNKNOWN, (">: user unknown",))),
)
