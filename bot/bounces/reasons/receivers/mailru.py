"""Mail.ru: its "user not found" is its recipient filter refusing us, not a missing mailbox (Sisimai's
reason/filtered.rb lists the phrase for it); from anyone else the words mean a missing user."""

from __future__ import annotations

from bot.bounces.reasons.receivers.base import Receiver, Rule
from bot.models import Reason

RECEIVER = Receiver(
    name="mailru",
    hosts=("mail.ru", "mxs.mail.ru"),
    domains=("mail.ru", "inbox.ru", "list.ru", "bk.ru"),
    rules=(Rule(reason=Reason.FILTERED, phrase="user not found"),),
)
