"""Blocklists cited in bounce diagnostics → normalised zone names ("zen.spamhaus.org").

Called by `parse` over each recipient's diagnostic text. Three kinds of citation are read:
a zone named after "blocked using"/"listed in|at|on|by", a known zone name anywhere, and a
list's lookup URL (Spamhaus, Barracuda, SpamCop, ...), which stands for its main zone.
"""

from __future__ import annotations

import re

# Zones people actually cite, and the short names some servers use for them.
KNOWN_ZONES: tuple[str, ...] = (
    "zen.spamhaus.org", "sbl.spamhaus.org", "xbl.spamhaus.org", "pbl.spamhaus.org", "sbl-xbl.spamhaus.org",
    "dbl.spamhaus.org", "zrd.spamhaus.org", "bl.spamcop.net", "b.barracudacentral.org", "bb.barracudacentral.org",
    "cbl.abuseat.org", "dnsbl.sorbs.net", "spam.dnsbl.sorbs.net", "psbl.surriel.com", "bl.mailspike.net",
    "dnsbl-1.uceprotect.net", "dnsbl-2.uceprotect.net", "dnsbl-3.uceprotect.net", "ix.dnsbl.manitu.net",
    "truncate.gbudb.net", "bl.0spam.org", "dnsbl.spfbl.net", "all.s5h.net", "rbl.interserver.net",
    "multi.surbl.org", "multi.uribl.com", "black.uribl.com", "bl.nordspam.com", "dnsbl.dronebl.org",
    "noptr.spamrats.com", "dyna.spamrats.com", "spam.spamrats.com", "hostkarma.junkemailfilter.com",
    "bl.blocklist.de", "spamrbl.imp.ch", "db.wpbl.info", "access.redhawk.org", "dnsbl.inps.de",
    "work.drbl.imedia.ru", "bl.spameatingmonkey.net", "backscatter.spameatingmonkey.net",
)

# A lookup URL names its list's main zone: "https://www.spamhaus.org/query/ip/192.0.2.1"
LOOKUP_URLS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"spamhaus\.org/query/dbl", re.IGNORECASE), "dbl.spamhaus.org"),
    (re.compile(r"spamhaus\.org/(?:sbl/query|query/sbl)", re.IGNORECASE), "sbl.spamhaus.org"),
    (re.compile(r"spamhaus\.org/(?:query/(?:ip|bl)|lookup|pbl/query|xbl/query)|check\.spamhaus\.org",
                re.IGNORECASE), "zen.spamhaus.org"),
    (re.compile(r"barracuda(?:central|networks)\.(?:org|com)/(?:rbl|lookups|bbl)", re.IGNORECASE),
     "b.barracudacentral.org"),
    (re.compile(r"spamcop\.net/(?:bl\.shtml|w3m\?action=checkblock)", re.IGNORECASE), "bl.spamcop.net"),
    (re.compile(r"abuseat\.org/lookup", re.IGNORECASE), "cbl.abuseat.org"),
    (re.compile(r"sorbs\.net/lookup", re.IGNORECASE), "dnsbl.sorbs.net"),
    (re.compile(r"uceprotect\.net/(?:en/)?rblcheck", re.IGNORECASE), "dnsbl-1.uceprotect.net"),
    (re.compile(r"mailspike\.(?:net|org)/(?:lookup|anubis)", re.IGNORECASE), "bl.mailspike.net"),
    (re.compile(r"surriel\.com/(?:psbl|listing)", re.IGNORECASE), "psbl.surriel.com"),
)

# "blocked using zen.spamhaus.org", "listed at bl.spamcop.net", "listed in b.barracudacentral.org"
_CITED = re.compile(
    r"(?:blocked (?:using|by)|(?:is |are )?listed (?:in|at|on|by)|rejected by|found in|rbl:?|dnsbl:?|"
    r"blacklisted (?:at|on|by|in))\s+(?:the\s+)?['\"(<\[]?([a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)+)",
    re.IGNORECASE,
)
_NAMED_LISTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bspamhaus\b", re.IGNORECASE), "zen.spamhaus.org"),  # "blocked by Spamhaus"
    (re.compile(r"\bspamcop\b", re.IGNORECASE), "bl.spamcop.net"),
    (re.compile(r"\bbarracuda (?:reputation|rbl|brbl)\b", re.IGNORECASE), "b.barracudacentral.org"),
)
# Every citation below contains one of these; text without any is skipped at once.
_MENTIONS_A_LIST = re.compile(
    r"bl\b|bl\.|rbl|list|spam|block|barracuda|abuse|sorbs|uceprotect|mailspike|surriel|gbudb|manitu|s5h"
    r"|junkemailfilter|imp\.ch|wpbl|redhawk|inps|0spam|interserver|dronebl|spamrats|imedia|nordspam",
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
