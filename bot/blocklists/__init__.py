"""The one catalogue of blocklists, below both `bounces` (which cites them) and `reputation` (which queries them).

`LISTS` (lists.py) holds one `Blocklist` per list: zone names and aliases as bounces cite them,
lookup-URL patterns, delist page, return-code table, type and `ListState`. Renderers call
`describe(zone)` for a `ListInfo` (name, state, `delist_for(target)`, `retired`) or
`delist_url(zone, target)`; `reputation.zones` builds its queried zones from
`queried_by_default()`. Imports neither `bounces` nor `reputation`.
"""

from __future__ import annotations

from bot.blocklists.lists import LISTS
from bot.blocklists.lookup import delist_url, describe, find, normalise, queried_by_default
from bot.blocklists.model import Blocklist, Code, ListInfo, ListState, LookupUrl, Note, Reading, ZoneType

__all__ = [
    "LISTS",
    "Blocklist",
    "Code",
    "ListInfo",
    "ListState",
    "LookupUrl",
    "Note",
    "Reading",
    "ZoneType",
    "delist_url",
    "describe",
    "find",
    "normalise",
    "queried_by_default",
]
