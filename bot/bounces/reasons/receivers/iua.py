"""I.UA's documented error pages (mail.i.ua/err/N), via Sisimai's rhost/iua.rb."""

from __future__ import annotations

import re
from types import MappingProxyType

from bot.bounces.reasons.receivers.base import Codes, Receiver
from bot.models import Reason

R = Reason

RECEIVER = Receiver(
    name="iua",
    hosts=("email.ua",),
    domains=("email.ua",),
    # "550 Mailbox is full, see http://mail.i.ua/err/4/": the page number names the reason
    codes=Codes(
        pattern=re.compile(r"\.i\.ua/err/(\d+)"),
        table=MappingProxyType({
            "1": R.NORELAYING,  # SMTP as a mail gate is forbidden
            "2": R.USERUNKNOWN,
            "3": R.SUSPEND,  # mailbox unused for more than 3 months
            "4": R.MAILBOXFULL,
            "5": R.TOOMANYCONN,  # sending limit exceeded
            "6": R.NORELAYING,  # use your provider's SMTP
            "7": R.BLOCKED,  # bad HELO/EHLO
            "8": R.REJECTED,  # sender address could not be checked
            "9": R.BLOCKED,  # sender IP blacklisted
            "10": R.FILTERED,  # not in the recipient's address list
        }),
    ),
)
