"""Digital Arts m-FILTER's plain-text bounces; used by the registry."""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.plaintext import ADDRESS, facts_from_block, text_extraction
from bot.bounces.message import MessageView, squeeze

# "-------server message" / "550 5.1.1 ..." / "-------SMTP command" / "DATA" / "-------original message"
SECTION = re.compile(r"^-------(server message|SMTP command|original message)\s*$", re.M)


class MFilter:
    name = "mfilter"

    def detect(self, message: MessageView) -> Extraction | None:
        return text_extraction(self.name, message, _recipients(message))


def _recipients(message: MessageView) -> list[RecipientFacts]:
    if "m-FILTER" not in message.header("x-mailer") and "m-FILTER" not in message.text:
        return []
    marks = list(SECTION.finditer(message.text))
    if not marks:
        return []
    sections = {m.group(1): message.text[m.end(): (marks[i + 1].start() if i + 1 < len(marks) else None)]
                for i, m in enumerate(marks)}
    # "以下のメールアドレスへの送信に失敗しました。" / "kijitora@example.co.jp"
    addresses = ADDRESS.findall(message.text[: marks[0].start()])
    words = squeeze(sections.get("server message", ""))
    command = squeeze(sections.get("SMTP command", "")).split(" ", 1)[0].upper() or None
    return [facts_from_block(a.lower(), words, command=command) for a in dict.fromkeys(addresses)]


DETECTOR = MFilter()
