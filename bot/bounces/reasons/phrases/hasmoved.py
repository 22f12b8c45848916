"""The phrases that name `hasmoved`."""

from __future__ import annotations

import re

from bot.bounces.reasons.phrases.base import Phrases

PHRASES = Phrases(contains=(" has been replaced by ",), regex=re.compile(r"address .+ has been replaced by "))
