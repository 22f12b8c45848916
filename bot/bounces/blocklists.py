"""Blocklists cited in bounce diagnostics → normalised zone names ("zen.spamhaus.org").

Called by `parse` over each recipient's diagnostic text. Three kinds of citation are read:
a zone named after "blocked using"/"listed in|at|on|by", a known zone name anywhere, and a
list's lookup URL (Spamhaus, Barracuda, SpamCop, ...), which stands for its main zone. The
names, aliases, URL patterns and prose names come from the blocklist catalogue (`bot.blocklists`);
`bot.blocklists.describe(zone)` says what a cited zone is.
"""

from __future__ import annotations

import re

from bot.blocklists import LISTS

# Zones people actually cite, and the short names some servers use for them, in catalogue order.
KNOWN_ZONES: tuple[str, ...] = tuple(name for entry in LISTS for name in entry.names)

# A lookup URL names its list's main zone: "https://www.spamhaus.org/query/ip/192.0.2.1"
LOOKUP_URLS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(url.pattern, re.IGNORECASE), url.cites or entry.zone) for entry in LISTS for url in entry.lookup_urls
)

# "blocked using zen.spamhaus.org", "listed at bl.spamcop.net", "listed in b.barracudacentral.org"
_CITED = re.compile(
    r"(?:blocked (?:using|by)|(?:is |are )?listed (?:in|at|on|by)|rejected by|found in|rbl:?|dnsbl:?|"
    r"blacklisted (?:at|on|by|in))\s+(?:the\s+)?['\"(<\[]?([a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)+)",
    re.IGNORECASE,
)
# "blocked by Spamhaus": a list named in prose stands for its main zone, read only when nothing else was.
_NAMED_LISTS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), entry.zone) for entry in LISTS for pattern in entry.named_by
)
# Every citation below contains one of these; text without any is skipped at once.
_MENTIONS_A_LIST = re.compile(
    "|".join((r"bl\b|bl\.|rbl|list|spam|block|abuse", *map(re.escape, KNOWN_ZONES),
              *(f"(?:{pattern.pattern})" for pattern, _ in (*LOOKUP_URLS, *_NAMED_LISTS)))),
    re.IGNORECASE,
)
_NOT_ZONES = re.compile(r"^(?:\d+(?:\.\d+){3}|www\..*|.*\.(?:html?|php|cgi|aspx?|shtml))$")


def cited_blocklists(texts: list[str]) -> tuple[str, ...]:
    """Distinct blocklist zones cited in `texts`, in order of first mention."""
    found: dict[str, None] = {}
    for text in texts:
        if not text or not _MENTIONS_A_LIST.search(text):
            continue
        lower = text.lower()
        for zone in KNOWN_ZONES:
            if zone in lower:
                found[zone] = None
        for pattern, zone in LOOKUP_URLS:
            if pattern.search(text):
                found[zone] = None
        for match in _CITED.finditer(text):
            zone = match.group(1).lower().rstrip(".-")
            if _looks_like_zone(zone):
                found[zone] = None
        if not found:
            for pattern, zone in _NAMED_LISTS:
                if pattern.search(text):
                    found[zone] = None
    # "sbl-xbl.spamhaus.org" also contains "xbl.spamhaus.org": keep the longer name only
    zones = list(found)
    return tuple(z for z in zones if not any((other != z and other.endswith("." + z)) or
                                             (other != z and other.endswith("-" + z)) for other in zones))


def _looks_like_zone(name: str) -> bool:
    if _NOT_ZONES.match(name) or name.count(".") < 1:
        return False
    labels = name.split(".")
    known = any(name == zone or name.endswith("." + zone) for zone in KNOWN_ZONES)
    return known or (len(labels) >= 3 and any(
        key in name for key in ("bl", "rbl", "spam", "abuse", "block", "black", "uribl", "surbl")))
