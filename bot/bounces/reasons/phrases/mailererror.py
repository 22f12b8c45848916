"""The phrases that name `mailererror`."""

from __future__ import annotations

import re

from bot.bounces.reasons.phrases.base import Phrases

PHRASES = Phrases(
    contains=(
        "x-unix; ",
        "command died with status",
        "command failed: ",
        "exit code ",
        "procmail: ",
        "bin/procmail",
        "mailer error",
        "unknown mailer error",
        "pipe to |/",
        "local delivery failed",
        "command output:",
        " || exit ",  # a pipe command's fallback: "|/usr/bin/filter || exit 75"
    ),
    # "procmail: ...", "command died with status 1", "exit 75", "X-Unix; 255"
    regex=re.compile(r"^procmail: |bin/(?:procmail|maildrop)|command died with status \d+|\bexit \d+|x-unix; \d+"),
)
