"""fml (a mailing-list manager) refusals and loop alerts sent back to a poster; used by the registry."""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction
from bot.bounces.detectors.plaintext import facts_from_block
from bot.bounces.message import MessageView, squeeze
from bot.models import Reason

# Subject: Loop Alert: Duplicated Message-ID (neko ML) / "You are not a member" / "Security Alert"
SUBJECTS: tuple[tuple[Reason, tuple[str, ...]], ...] = (
    (Reason.REJECTED, (" are not member", "NOT MEMBER article from", "reject mail ",
                       "Spam mail from a spammer is rejected")),
    (Reason.SYSTEMERROR, ("fml system error message", "Loop Alert: ", "Loop Back Warning: ",
                          "WARNING: UNIX FROM Loop")),
    (Reason.SECURITYERROR, ("Security Alert",)),
)
# "Duplicated Message-ID in <neko@example.co.jp>." : the list that refused the post
# (the address holds no "<": "[^>\s]+@" ran from every "<" of a long run of them to its end)
LIST_ADDRESS = re.compile(r"<([^<>\s]+@[^<>\s]+)>")


class Fml:
    name = "fml"

    def detect(self, message: MessageView) -> Extraction | None:
        # X-MLServer: fml [fml 4.0.3 release (20011202/4.0.3)]
        if not message.header("x-mlserver").lower().startswith("fml"):
            return None
        reason = next((r for r, phrases in SUBJECTS if any(p in message.subject for p in phrases)), None)
        words = message.text.split("\n\n", 1)[0]
        found = LIST_ADDRESS.search(words)
        if reason is None or found is None:
            return None
        return Extraction(mta=self.name, recipients=(
            facts_from_block(found.group(1).lower(), squeeze(f"{message.subject} {words}"), reason=reason),))


DETECTOR = Fml()
