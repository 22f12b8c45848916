"""Verizon Wireless's e-mail-to-SMS gateway (vtext.com, vzwpix.com) refusals; used by the registry."""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction
from bot.bounces.detectors.plaintext import bare_address, facts_from_block
from bot.bounces.message import MessageView, squeeze

DOMAINS = ("vtext.com", "vzwpix.com", "vzw.com")
# "Error: Invalid user address" / "Error message below:" / "550 - Requested action not taken: no such user here"
ERROR = re.compile(r"^Error message below:\s*\n(.+)$", re.M)
# "  RCPT TO: kijitora@vtext.com"
# (the indent is blanks of its own line: "^\s*" let every line of a run of blank lines rescan the run)
RCPT = re.compile(r"^[^\S\n]*RCPT TO:\s*<?([^\s<>]+@[^\s<>]+)>?", re.M)


class Verizon:
    name = "verizon"

    def detect(self, message: MessageView) -> Extraction | None:
        if not message.from_address.endswith(DOMAINS):
            return None
        error = ERROR.search(message.text)
        rcpt = RCPT.search(message.text)
        address = bare_address(rcpt.group(1)) if rcpt else None
        if error is None or address is None:
            return None
        # "550 - Requested action not taken": a dash, not a continuation line
        words = squeeze(error.group(1)).replace(" - ", " ", 1)
        return Extraction(mta=self.name, recipients=(facts_from_block(address, words, command="RCPT"),))


DETECTOR = Verizon()
