"""McAfee SaaS (formerly MX Logic) bounces: Exim's layout from MX Logic's relays; used by the
registry before `exim`.

The layout is Sisimai's MXLogic decoder (based on its Exim one): the X-MX-Bounce, X-MXL-Hash or
X-MXL-NoteHash header says it is MX Logic's, "This message was created automatically by mail
delivery software." opens the list and "Included is a copy of the message header:" closes it.
"""

from __future__ import annotations

from bot.bounces.detectors.base import Extraction
from bot.bounces.detectors.exim import BOUNDARIES, STARTS, read_exim_section
from bot.bounces.detectors.plaintext import after, cut
from bot.bounces.message import MessageView

HEADERS = ("x-mx-bounce", "x-mxl-hash", "x-mxl-notehash")
# "Included is a copy of the message header:"
INCLUDED = "Included is a copy of the message header"


class MXLogic:
    name = "mxlogic"

    def detect(self, message: MessageView) -> Extraction | None:
        if not any(name in message.headers for name in HEADERS):
            return None
        section = after(message.text, STARTS)
        if section is None:
            return None
        return read_exim_section(message, self.name, cut(section, (*BOUNDARIES, INCLUDED)))


DETECTOR = MXLogic()
