"""Mail.ru's bounces: a Russian preamble over Exim's layout (mailer-daemon@corp.mail.ru); used by the registry."""

from __future__ import annotations

from bot.bounces.detectors.base import Extraction
from bot.bounces.detectors.exim import BOUNDARIES, STARTS, read_exim_section
from bot.bounces.detectors.plaintext import after, cut
from bot.bounces.message import MessageView

# "Это письмо создано автоматически сервером Mail.Ru, отвечать на него не нужно."
PREAMBLE = "сервером Mail.Ru"
# "К сожалению, Ваше письмо не может быть доставлено одному или нескольким получателям:"
START = "Ваше письмо не может быть доставлено"


class MailRu:
    name = "mailru"

    def detect(self, message: MessageView) -> Extraction | None:
        if not message.from_address.endswith("mail.ru") and PREAMBLE not in message.text:
            return None
        # the English Exim copy below the "**********************" line says the same, read it if needed
        section = after(message.text, (START,)) or after(message.text, STARTS)
        if section is None:
            return None
        return read_exim_section(message, self.name, cut(section, BOUNDARIES))


DETECTOR = MailRu()
