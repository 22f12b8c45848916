"""Deutsche Telekom's (T-Online, magenta.de) bounces, written by its Smail 3 fork; used by the
registry before `x_failed_addresses`, which reads other Smail-style bounces.

The layout is Sisimai's DeutscheTelekom decoder: Smail's banners, "|---- Failed addresses follow:
----|", then each recipient as " <kijitora@t-online.de>" with the remote server's reply on the
lines below ("   552 5.2.2 <...> Quota exceeded"), or Smail's own " address ... failed: words";
"|---- Message header follows: ----|" (or "Message text follows:") opens the returned original.
"""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.plaintext import ADDRESS, bare_address, facts_from_block, text_extraction
from bot.bounces.message import MessageView, squeeze

DOMAINS = ("t-online.de", "magenta.de", "telekom.de", "telekom.com")
# "|------------------------- Failed addresses follow: ---------------------|"
FAILED_FOLLOW = re.compile(r"^\|-+ Failed addresses follow: -+\|[^\S\n]*$", re.M)
# "|------------------------- Message header follows: ----------------------|", "Message log follows:"
BANNER = re.compile(r"^\|-+ [^|\n]{1,40} -+\|[^\S\n]*$", re.M)
# "|------------------------- Message log follows: -------------------------|" (Smail 3 only)
LOG_FOLLOWS = re.compile(r"^\|-+ Message log follows: -+\|[^\S\n]*$", re.M)
# " <kijitora@t-online.de>" (the address alone, in angle brackets)
BRACKETED = re.compile(r"^ <([^<>\s]+)>\s*$")
# " kijitora@neko.example.com ... unknown host" (Smail 3's own line)
SMAIL = re.compile(r"^ (\S+) \.\.\. (.*)$")


class DeutscheTelekom:
    name = "deutschetelekom"

    def detect(self, message: MessageView) -> Extraction | None:
        if not _telekom(message):
            return None
        start = FAILED_FOLLOW.search(message.text)
        if start is None:
            return None
        end = BANNER.search(message.text, start.end())
        section = message.text[start.end(): end.start() if end else None]
        # "|---- Message log follows: ----|" above the list: Smail's log lines, the words for its own lines
        opened = LOG_FOLLOWS.search(message.text, 0, start.start())
        log = squeeze(message.text[opened.end(): start.start()]) if opened else ""
        addresses: list[str] = []
        words: dict[str, list[str]] = {}
        for line in section.split("\n"):
            bracketed, smail = BRACKETED.match(line), SMAIL.match(line)
            found = bracketed or smail
            if found is not None:
                address = bare_address(found.group(1))
                if address is None or not ADDRESS.fullmatch(address):
                    continue
                if address not in words:
                    addresses.append(address)
                    words[address] = [log, smail.group(2)] if smail else []
            elif addresses and line.strip():
                words[addresses[-1]].append(line.strip())
        recipients: list[RecipientFacts] = []
        for address in addresses:
            text = squeeze(" ".join(w for w in words[address] if w))
            recipients.append(facts_from_block(address, text or address))
        return text_extraction(self.name, message, recipients)


def _telekom(message: MessageView) -> bool:
    """Written by Deutsche Telekom's servers: its sender domain, its X-TOI-MSGID, or its Received."""
    if message.from_address.endswith(DOMAINS) or "x-toi-msgid" in message.headers:
        return True
    return any(".t-online.de" in value for value in message.headers.get_all("received"))


DETECTOR = DeutscheTelekom()
