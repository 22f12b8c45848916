"""Gmail's and Google Workspace's plain-text bounces (mailer-daemon@googlemail.com); used by the registry.

The newer Gmail bounces carry an RFC 3464 part and are read by `rfc3464` before this detector.
"""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.plaintext import (
    PhraseTable,
    after,
    bare_address,
    cut,
    facts_from_block,
    find_status,
    header_list,
    hint,
)
from bot.bounces.message import MessageView, squeeze
from bot.models import Action, Reason

# "Delivery to the following recipient failed permanently:"
# "Delivery to the following recipient has been delayed:"
START = "Delivery to the following recipient"
# "** Message not delivered **", "** Address not found **", "** Message blocked **" (Gmail since 2017)
HEADLINE = re.compile(r"^\*\* [A-Z][\w' ]+ \*\*\s*$", re.M)
# "The response was:" / "The response from the remote server was:"
RESPONSE = re.compile(r"^The response(?: from the remote server)? was:\s*$", re.M)
# "----- Original message -----", "----- Message header follows -----"
BOUNDARIES = ("----- Original message -----", "----- Message header follows -----")
# "     kijitora@example.co.jp" (indented, alone on its line)
# The indent is read from at most the line above (blank) and the address line: "^\s+" let every line
# of a run of blank lines rescan the run. An unindented address under a blank line still counts.
RECIPIENT = re.compile(r"^(?:[^\S\n]*\n[^\S\n]*|[^\S\n]+)(?=\S+@\S)(\S++)\s*$", re.M)
# "... rejected by the server for the recipient domain example.jp by mx.example.jp. [192.0.2.2]."
REMOTE = re.compile(r" by ([A-Za-z0-9.-]+[A-Za-z])\. \[([\d.:a-fA-F]+)\]")
# "550 550 5.7.1 <kijitora@example.jp>... Access denied (state 13)."
STATE = re.compile(r"\(state (\d+)\)")

# Google's "(state N)" numbers: where the SMTP session failed, hence the reason when the
# remote server's code names none (Sisimai's Gmail table).
STATES: dict[str, tuple[str, Reason]] = {
    # "500 Remote server does not support TLS (state 6)."
    "6": ("MAIL", Reason.SYSTEMERROR),
    # "535 SMTP AUTH failed with the remote server. (state 8)."
    "8": ("AUTH", Reason.SYSTEMERROR),
    # "454 454 TLS missing certificate: error:0200100D:system library:fopen:Permission denied (#4.3.0) (state 9)."
    "9": ("AUTH", Reason.SYSTEMERROR),
    # "500 Remote server does not support SMTP Authenticated Relay (state 12)."
    "12": ("AUTH", Reason.NORELAYING),
    # "550 550 5.7.1 <kijitora@example.jp>... Access denied (state 13)."
    "13": ("EHLO", Reason.BLOCKED),
    # "550 550 5.1.1 <kijitora@example.jp>... User Unknown (state 14)."
    "14": ("RCPT", Reason.USERUNKNOWN),
    # "550 550 5.7.1 SPF unauthorized mail is prohibited. (state 15)."
    "15": ("DATA", Reason.FILTERED),
    # "550 550 <kijitora@example.jp> No such user here (state 17)."
    "17": ("DATA", Reason.FILTERED),
    # "554 554 5.7.0 Header error (state 18)."
    "18": ("DATA", Reason.FILTERED),
}
MESSAGES: PhraseTable = (
    (Reason.EXPIRED, ("dns error: could not contact dns servers",
                      "delivery to the following recipient has been delayed",
                      "the recipient server did not accept our requests to connect")),
    (Reason.HOSTUNKNOWN, ("dns error: domain name not found", "dns error: dns server returned answer with no data")),
)


class Gmail:
    name = "gmail"

    def detect(self, message: MessageView) -> Extraction | None:
        if not message.from_address.endswith("@googlemail.com") and not message.from_address.endswith("@google.com"):
            return None
        if not message.subject.startswith("Delivery Status Notification"):
            return None
        section = after(message.text, (START,))
        if section is None:
            return self._headline(message)
        section = cut(section, BOUNDARIES)
        action = Action.DELAYED if "has been delayed" in section[:80] else Action.FAILED
        addresses = [a for a in (bare_address(m.group(1)) for m in RECIPIENT.finditer(section)) if a]
        if not addresses:
            return None
        # "Technical details of permanent failure: Google tried to deliver your message, but ..."
        details = squeeze(section.partition("Technical details of")[2].partition(":")[2]) or squeeze(section)
        said = details.partition("The error that the other server returned was:")[2] or details
        recipients = tuple(_facts(address, details, said, action) for address in dict.fromkeys(addresses))
        return Extraction(mta=self.name, recipients=recipients, reporting_mta="googlemail.com")

    def _headline(self, message: MessageView) -> Extraction | None:
        """The newer layout; its DSN part is usually read first, this covers an empty one."""
        # X-Failed-Recipients: kijitora@example.org
        failed = header_list(message.header("x-failed-recipients"))
        if not failed or HEADLINE.search(message.text) is None:
            return None
        response = RESPONSE.search(message.text)
        words = squeeze(cut(message.text[response.end():] if response else message.text, BOUNDARIES))
        recipients = tuple(facts_from_block(a, words) for a in failed)
        return Extraction(mta=self.name, recipients=recipients, reporting_mta="googlemail.com")


def _facts(address: str, details: str, said: str, action: Action) -> RecipientFacts:
    remote = REMOTE.search(details)
    state = STATE.search(said)
    command, reason = STATES.get(state.group(1), (None, None)) if state else (None, None)
    if reason is None:
        reason = hint(details, MESSAGES)
    status = find_status(said)
    if status and ".0" not in status:
        reason = None  # a specific status says more than Google's session state
    # "554 554 5.7.0 Header error": Google repeats the reply code
    return facts_from_block(address, said, action=action, command=command, reason=reason, status=status,
                            remote_mta=remote.group(1).lower() if remote else None)


DETECTOR = Gmail()
