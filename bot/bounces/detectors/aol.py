"""AOL's plain-text "Mail Delivery Problem" notices, which name recipients by screen name only;
used by the registry. AOL's RFC 3464 reports are read by `rfc3464`.

flufl.bounce's `AOL` detector: a text/plain notice from @aol.com, the line "mail to the following
recipients could not be delivered", then one screen name a line up to a line with words in it.
A screen name is resolved against the returned original's To:, else it is "<name>@aol.com".
"""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction
from bot.bounces.detectors.plaintext import ADDRESS, LOCAL_PART, facts_from_block, resolve_local, sender_domain
from bot.bounces.message import MessageView, squeeze

# "Your mail to the following recipients could not be delivered because they are not accepting mail
# from sender@example.com:" / "Mail to the following recipients could not be delivered:"
START = re.compile(r"^.*mail to the following recipients could not be delivered.*$", re.IGNORECASE | re.MULTILINE)


class AOL:
    name = "aol"

    def detect(self, message: MessageView) -> Extraction | None:
        domain = sender_domain(message) or ""
        if not (domain == "aol.com" or domain.endswith(".aol.com")):
            return None
        start = START.search(message.text)
        if start is None:
            return None
        why = squeeze(start.group(0))
        addresses: list[str] = []
        for line in message.text[start.end():].split("\n")[1:]:
            name = line.strip()
            if not name:
                if addresses:
                    break
                continue
            if " " in name or "\t" in name:
                break  # the list ends at the first line with words in it
            if ADDRESS.fullmatch(name):
                addresses.append(name.lower())
            elif LOCAL_PART.fullmatch(name):
                addresses.append(resolve_local(name, message) or f"{name.lower()}@aol.com")
        recipients = tuple(facts_from_block(a, why) for a in dict.fromkeys(addresses))
        if not recipients:
            return None
        return Extraction(mta=self.name, recipients=recipients, reporting_mta=domain)


DETECTOR = AOL()
