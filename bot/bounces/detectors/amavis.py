"""amavisd-new's (a content filter in front of an MTA) DSNs; used by the registry before `rfc3464`,
whose reading of the report it relabels.

The layout is Sisimai's Amavis decoder: From "Content-filter at <host>" <postmaster@...>, a
Subject like "Undeliverable mail, MTA-BLOCKED" or "... BANNED", "The message ..." in the text, a
standard delivery-status part, and the original's headers as text/rfc822-headers.
"""

from __future__ import annotations

from dataclasses import replace

from bot.bounces.detectors import rfc3464
from bot.bounces.detectors.base import Extraction
from bot.bounces.message import MessageView

# From: "Content-filter at neko1.example.jp" <postmaster@neko1.example.jp>
SENDER_NAME = '"content-filter at '


class Amavis:
    name = "amavis"

    def detect(self, message: MessageView) -> Extraction | None:
        if not message.header("from").strip().lower().startswith(SENDER_NAME):
            return None
        read = rfc3464.DETECTOR.detect(message)
        if read is None:
            return None
        return replace(read, mta=self.name)


DETECTOR = Amavis()
