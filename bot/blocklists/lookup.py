"""Which list a zone name belongs to, and what to show for it (pure look-ups over `LISTS`)."""

from __future__ import annotations

from bot.blocklists.lists import LISTS
from bot.blocklists.model import Blocklist, ListInfo

# Every name a list answers to. DQS zones count too: a receiver on DQS may cite
# "<key>.zen.dq.spamhaus.net", which resolves through its suffix like any name under a zone.
_BY_NAME: dict[str, Blocklist] = {
    **{entry.dqs_zone: entry for entry in LISTS if entry.dqs_zone},
    **{name: entry for entry in LISTS for name in entry.names},
}


def normalise(zone: str) -> str:
    """A zone name as cited or configured → the form the catalogue uses: "ZEN.Spamhaus.org." → "zen.spamhaus.org"."""
    return zone.strip().lower().rstrip(".")


def find(zone: str) -> Blocklist | None:
    """The list `zone` names: its own name, an alias, or a name under one ("dul.dnsbl.sorbs.net" → SORBS)."""
    labels = normalise(zone).split(".")
    for start in range(len(labels) - 1):
        if (entry := _BY_NAME.get(".".join(labels[start:]))) is not None:
            return entry
    return None


def describe(zone: str) -> ListInfo | None:
    """Display name, state and delist page for a cited or queried zone; None for a list we do not know."""
    entry = find(zone)
    if entry is None:
        return None
    return ListInfo(zone=normalise(zone), list_zone=entry.zone, name=entry.name, operator=entry.operator,
                    type=entry.type, state=entry.state, delist_url=entry.delist_url, replaced_by=entry.replaced_by)


def delist_url(zone: str, target: str = "") -> str:
    """The list's lookup or removal page for `target` (IP or domain); "" for a list we do not know."""
    info = describe(zone)
    return info.delist_for(target) if info is not None else ""


def queried_by_default() -> tuple[Blocklist, ...]:
    """The lists the bot checks unless `[dns]` says otherwise: active and informational, in catalogue order."""
    return tuple(entry for entry in LISTS if entry.state.queried)
