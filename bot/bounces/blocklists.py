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
# Which texts are searched for citations at all, as first written; `mentions_a_list` is its fast
# form, true wherever it matches (tests/bounces/test_blocklists.py holds the two together).
_MENTIONS_A_LIST = re.compile(
    "|".join((r"bl\b|bl\.|rbl|list|spam|block|abuse", *map(re.escape, KNOWN_ZONES),
              *(f"(?:{pattern.pattern})" for pattern, _ in (*LOOKUP_URLS, *_NAMED_LISTS)))),
    re.IGNORECASE,
)


def required_words(pattern: str) -> tuple[str, ...]:
    r"""Lower-case words of which every match of `pattern` contains one: one per top-level branch.

    Each branch gives its longest run of letters and digits outside any group, class or optional
    atom: "spamhaus" for r"check\.spamhaus\.org", "barracuda" for r"barracuda(?:central|networks)".
    A branch with no such run raises ValueError, so a catalogue pattern of a new shape is noticed.
    """
    words: list[str] = []
    runs: list[str] = []
    run = ""
    depth = 0
    i = 0
    while i <= len(pattern):
        char = pattern[i] if i < len(pattern) else "|"  # the end closes the last branch
        if depth == 0 and char.isascii() and char.isalnum():
            run += char.lower()
            i += 1
            continue
        if char in "?*{" and i > 0 and pattern[i - 1].isalnum() and run:
            run = run[:-1]  # "abc?": the last letter is optional
        runs.append(run)
        run = ""
        if char == "\\":
            i += 1  # an escape is one atom: "\." a dot, "\b" a boundary
        elif char == "[":
            i = _class_end(pattern, i)
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            best = max(runs, key=len)
            if not best:
                raise ValueError(f"blocklist pattern {pattern!r}: a branch without a required word")
            words.append(best)
            runs = []
        i += 1
    return tuple(words)


def _class_end(pattern: str, start: int) -> int:
    """Where the character class opened at `start` closes ("[]x]" and "[^]x]" hold a literal "]")."""
    i = start + 1
    i += pattern.startswith("^", i)
    i += pattern.startswith("]", i)
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i


def _keywords(words: tuple[str, ...]) -> tuple[str, ...]:
    """`words` without those that contain another (a text with "spamhaus" has "spam")."""
    unique = dict.fromkeys(words)
    return tuple(w for w in unique if not any(other != w and other in w for other in unique))


# A cheap superset of `_MENTIONS_A_LIST` for ASCII text, as lower-case substrings: its branches,
# every zone name, and a word each lookup-URL and prose pattern requires. The regex's "bl\b" is
# kept as a regex of its own, since "bl" alone is in "unavailable".
_KEYWORDS = _keywords((
    "bl.", "rbl", "list", "spam", "block", "abuse", *KNOWN_ZONES,
    *(word for pattern, _ in (*LOOKUP_URLS, *_NAMED_LISTS) for word in required_words(pattern.pattern)),
))
_BL_AT_WORD_END = re.compile(r"bl\b")  # "psbl.surriel.com", "dnsbl: 192.0.2.1"
# The only non-ASCII letters IGNORECASE matches to ASCII ones, and what they match: "İ" lower-cases
# to two characters, the others not to ASCII at all (the test over every code point keeps this true).
IGNORECASE_TO_ASCII = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def mentions_a_list(text: str) -> bool:
    """Whether `text` may cite a list; true whenever `_MENTIONS_A_LIST` matches, in a tenth of its time."""
    lower = text.lower() if text.isascii() else text.translate(IGNORECASE_TO_ASCII).lower()
    return any(map(lower.__contains__, _KEYWORDS)) or _BL_AT_WORD_END.search(lower) is not None


_NOT_ZONES = re.compile(r"^(?:\d+(?:\.\d+){3}|www\..*|.*\.(?:html?|php|cgi|aspx?|shtml))$")


def cited_blocklists(texts: list[str]) -> tuple[str, ...]:
    """Distinct blocklist zones cited in `texts`, in order of first mention."""
    found: dict[str, None] = {}
    for text in texts:
        if not text or not mentions_a_list(text):
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
