"""The shape of one blocklist entry and of what its DNS answers mean (pure types, no data)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import StrEnum


class ZoneType(StrEnum):
    IP = "ip"
    DOMAIN = "domain"


class ListState(StrEnum):
    """Whether the bot queries a list, and so what a citation of it in a bounce means."""

    ACTIVE = "active"  # queried by default; a listing counts in the verdict
    INFORMATIONAL = "informational"  # queried and shown, never a verdict (UCEPROTECT L2/L3)
    KNOWN = "known"  # recognised when a bounce cites it; queried only if `[dns] zones` adds it
    RETIRED = "retired"  # shut down or folded into another list: never queried, "cited (list retired)"

    @property
    def queried(self) -> bool:
        return self in (ListState.ACTIVE, ListState.INFORMATIONAL)


class Reading(StrEnum):
    """What one A answer from a zone says."""

    LISTED = "listed"
    NOT_LISTED = "not_listed"  # an answer that is information, not a block (Mailspike reputation)
    ERROR = "error"  # a refusal or a misbehaving resolver: never a listing, never clean


class Note(StrEnum):
    """Why an error answer happened, keyed to the advice `reputation.zones.explain()` gives."""

    NONE = ""
    SPAMHAUS_REFUSED = "spamhaus_refused"
    SPAMHAUS_LIMIT = "spamhaus_limit"
    URIBL_REFUSED = "uribl_refused"
    REWRITTEN = "rewritten"


@dataclass(frozen=True, slots=True, kw_only=True)
class Code:
    """An answer, or a range of answers (CIDR), and what it means."""

    match: str  # "127.0.0.2" or "127.0.0.4/30"
    reading: Reading
    meaning: str
    note: Note = Note.NONE

    def matches(self, answer: ipaddress.IPv4Address) -> bool:
        return answer in ipaddress.IPv4Network(self.match)


@dataclass(frozen=True, slots=True, kw_only=True)
class LookupUrl:
    """A list's web page as bounce text links to it: "https://www.spamhaus.org/query/ip/192.0.2.1"."""

    pattern: str  # a regular expression, searched case-insensitively
    cites: str = ""  # the zone name the page stands for when it is not the list's own (SBL's query page)


@dataclass(frozen=True, slots=True, kw_only=True)
class Blocklist:
    """One list: how bounces cite it, how to query it and read its answers, where to get delisted."""

    zone: str  # the name we report and query: "zen.spamhaus.org"
    name: str  # "Spamhaus ZEN"
    operator: str
    type: ZoneType
    state: ListState
    delist_url: str  # lookup or removal page; "{target}" is replaced by the IP or domain
    aliases: tuple[str, ...] = ()  # other zone names bounces cite for the same list: "sbl.spamhaus.org"
    lookup_urls: tuple[LookupUrl, ...] = ()
    named_by: tuple[str, ...] = ()  # regexes naming the list in prose, standing for `zone`: "blocked by Spamhaus"
    codes: tuple[Code, ...] = ()  # read first, in order; errors listed before listings
    bits: tuple[tuple[int, str], ...] = ()  # bitmask lists (SURBL, URIBL): last octet bit → meaning
    dqs_zone: str = ""  # Spamhaus DQS zone: queried as <key>.<dqs_zone> when a key is set
    replaced_by: str = ""  # a retired list's successor, whose data now holds its listings

    @property
    def names(self) -> tuple[str, ...]:
        """Every zone name a bounce may cite for this list."""
        return (self.zone, *self.aliases)


@dataclass(frozen=True, slots=True, kw_only=True)
class ListInfo:
    """What a renderer shows for one cited or queried zone name (from `describe`)."""

    zone: str  # the name as cited, normalised: "sbl.spamhaus.org"
    list_zone: str  # the list it belongs to: "zen.spamhaus.org"
    name: str  # "Spamhaus ZEN"
    operator: str
    type: ZoneType  # what `delist_for` takes: an IP or a domain
    state: ListState
    delist_url: str  # the template; `delist_for(target)` fills it in
    replaced_by: str = ""  # retired lists only: "zen.spamhaus.org" for cbl.abuseat.org

    @property
    def queried(self) -> bool:
        """The bot checks this list itself (by default), so its own result is on the card."""
        return self.state.queried

    @property
    def retired(self) -> bool:
        """A citation of it is stale information: show "cited (list retired)"."""
        return self.state is ListState.RETIRED

    def delist_for(self, target: str = "") -> str:
        """The page for `target` (an IP or domain); without one, the list's plain lookup page."""
        return self.delist_url.replace("{target}", target)
