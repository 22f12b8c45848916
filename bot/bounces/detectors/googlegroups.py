"""Google Groups' refusals to post ("the group you tried to contact may not exist"), in any of
the languages Google writes them; used by the registry before `gmail`.
"""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction
from bot.bounces.detectors.plaintext import facts_from_block, header_list
from bot.bounces.message import MessageView, squeeze
from bot.models import Reason

# "Visit the help center at https://groups.google.com/support/" (every language keeps the URL)
HELP_URL = "groups.google.com/support"
# "----- Original message -----"
BOUNDARY = "----- Original message -----"
# " * You might have spelled or formatted the group name incorrectly." (one of four such lines)
BULLET = re.compile(r"^ ?\* ?", re.M)


class GoogleGroups:
    name = "googlegroups"

    def detect(self, message: MessageView) -> Extraction | None:
        # X-Failed-Recipients: libsisimai@googlegroups.com
        failed = [a for a in header_list(message.header("x-failed-recipients")) if a.endswith("googlegroups.com")]
        if not failed or HELP_URL not in message.text:
            return None
        notice = message.text.partition(BOUNDARY)[0]
        words = squeeze(notice)
        # the four reasons a post is refused ("the group may not exist, or you may not have permission
        # to post"): Google states no code, the refusal is the reason; other notices say nothing plain
        reason = Reason.REJECTED if len(BULLET.findall(notice)) == 4 else None
        recipients = tuple(facts_from_block(a, words, reason=reason, command="DATA") for a in failed)
        return Extraction(mta=self.name, recipients=recipients, reporting_mta="googlegroups.com")


DETECTOR = GoogleGroups()
