"""Yahoo's plain-text bounces ("Sorry, we were unable to deliver your message"); used by the registry."""

from __future__ import annotations

from bot.bounces.detectors.base import Extraction
from bot.bounces.detectors.plaintext import after, cut
from bot.bounces.detectors.qmail import read_qmail_section
from bot.bounces.message import MessageView

# "Sorry, we were unable to deliver your message to the following address."
START = "Sorry, we were unable to deliver your message to the following address"
# "--- Below this line is a copy of the message."
BOUNDARIES = ("--- Below this line is a copy of the message",)


class Yahoo:
    """Yahoo writes qmail's layout: "<address>:" then "Remote host said: 550 5.1.1 ... [RCPT_TO]"."""

    name = "yahoo"

    def detect(self, message: MessageView) -> Extraction | None:
        section = after(message.text, (START,))
        if section is None:
            return None
        return read_qmail_section(message, self.name, cut(section, BOUNDARIES))


DETECTOR = Yahoo()
