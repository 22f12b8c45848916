"""Make text from mail, DNS or a person inert in Slack mrkdwn: it cannot ping, format, link or disrupt a card.

Called by bot.slack.blocks on every value it did not write itself; the bot's own templates keep their
formatting around the cleaned values. Linear in the length of the text, and idempotent: cleaning
cleaned text changes nothing, so a value cleaned twice is never shown as `&amp;amp;`.

Slack's mrkdwn has no backslash escape. A zero-width space next to `*`, `_` or `~` is no cure: Slack
can take it as a word edge (people use it to bold half a word). So the formatting characters become
look-alikes that read the same, and only constructs that need two characters side by side (`://`,
`www.`, `@here`, `:name:`) are broken by an invisible zero-width space between them.
"""

from __future__ import annotations

import re

ZWSP = "\N{ZERO WIDTH SPACE}"

_DROPPED = (
    *(c for c in range(0x20) if chr(c) not in "\n\t"),  # C0 controls: BEL, ESC, CR, …
    0x7F,
    *range(0x80, 0xA0),  # C1 controls
    0x061C, 0x200E, 0x200F,  # Arabic letter mark, left-to-right and right-to-left marks
    *range(0x202A, 0x202F),  # bidi embeddings and overrides: after U+202E, "moc.elpmaxe" reads "example.com"
    *range(0x2066, 0x206A),  # bidi isolates
)
_TABLE: dict[int, str | None] = {
    **dict.fromkeys(_DROPPED),
    ord("\t"): " ",
    ord("\N{LINE SEPARATOR}"): "\n",  # a new line to a reader, so a `>` after it is at a line start too
    ord("\N{PARAGRAPH SEPARATOR}"): "\n",
    ord("<"): "&lt;",  # with `>` and `&`, the only characters Slack decodes: `<!channel>` stays text
    ord(">"): "&gt;",
    ord("*"): "\N{ASTERISK OPERATOR}",  # ∗, never *bold*
    ord("~"): "\N{TILDE OPERATOR}",  # ∼, never ~struck~
    ord("`"): "\N{MODIFIER LETTER GRAVE ACCENT}",  # ˋ, never a code span
}

# `&` not already the start of one of the three entities Slack decodes.
_BARE_AMPERSAND = re.compile(r"&(?!amp;|lt;|gt;)")

# "> quoted" or ">>> quoted" at the start of a line (or of the value, which a template may put
# there): Slack reads `&gt;` there as a block quote, so those `>`s become ＞.
_QUOTE = re.compile(r"^( *+)((?:&gt;)++)", re.MULTILINE)

# An `_` between two ASCII letters or digits stays as it is: user_name@example.com, snake_case and
# DKIM selectors read and copy as written, and Slack only opens or closes _italics_ at a word edge.
# Every other `_` (at a word edge, or next to anything else) becomes ＿.
_EDGE_UNDERSCORE = re.compile(r"_(?:(?<![A-Za-z0-9]_)|(?![A-Za-z0-9]))")

# Bare links: https://…, ftp://… and www.… (Slack and its clients link them) get a break after the
# colon or before the dot.
_WWW_DOT = re.compile(r"\.(?<=www\.)", re.IGNORECASE)

# @channel, @here, @everyone as words of their own: some clients ping on them, all readers are alarmed.
# Inside an address (postmaster@here.com) the `@` follows the local part and cannot ping: left as is.
_BROADCAST = re.compile(r"@(?<![A-Za-z0-9._%+-]@)(?=(?:channel|here|everyone)(?![a-z0-9]))", re.IGNORECASE)

# The colon that opens :rotating_light:, or a trailing ":name" that a template's ": " would close, gets
# a break after it. An IPv6 group or a clock time (2001:db8::1, 127.0.0.1:5353, 12:30:45), 1–4 hex
# digits right after a hex digit or a colon, is left as it is.
_SHORTCODE = re.compile(
    r":(?:(?<![0-9a-f:]:)|(?![0-9a-f]{1,4}(?::|\Z)))"  # not an IPv6 group or a clock time
    r"(?=[a-z0-9_+-]++(?::|\Z))",  # an emoji name, closed by a colon or by the end of the text
    re.IGNORECASE,
)


def inert(text: object) -> str:
    """`text` as Slack shows it literally: no mention, broadcast, link, emphasis, quote, emoji or bidi trick.

    Ordinary text (umlauts, CJK, emoji characters, addresses, IPs, 5.1.1, 550-5.7.1) comes out unchanged.
    """
    cleaned = str(text).translate(_TABLE)
    cleaned = _BARE_AMPERSAND.sub("&amp;", cleaned)
    cleaned = _QUOTE.sub(_unquote, cleaned)
    cleaned = _EDGE_UNDERSCORE.sub("\N{FULLWIDTH LOW LINE}", cleaned)
    cleaned = _WWW_DOT.sub(f"{ZWSP}.", cleaned.replace("://", f":{ZWSP}//"))
    cleaned = _BROADCAST.sub(f"@{ZWSP}", cleaned)
    return _SHORTCODE.sub(f":{ZWSP}", cleaned)


_CODE_TABLE: dict[int, str | None] = {
    **dict.fromkeys(_DROPPED), ord("\t"): " ", ord("\n"): " ", ord("\N{LINE SEPARATOR}"): " ",
    ord("\N{PARAGRAPH SEPARATOR}"): " ", ord("<"): "&lt;", ord(">"): "&gt;",
    ord("`"): "\N{MODIFIER LETTER GRAVE ACCENT}",
}


def code_span(text: object) -> str:
    """`text` inside a code span, copyable as it is: Slack formats nothing in one, so only what could end
    the span (a backtick, a new line), the three entities and the invisible tricks are changed.

    For records a postmaster copies back into DNS (SPF `~all`, `_spf` includes), which `inert` would
    turn into look-alikes.
    """
    cleaned = _BARE_AMPERSAND.sub("&amp;", str(text).translate(_CODE_TABLE))
    # Not needed for Slack inside a span, but a hostile TXT record should not even look live.
    cleaned = _WWW_DOT.sub(f"{ZWSP}.", cleaned.replace("://", f":{ZWSP}//"))
    cleaned = _BROADCAST.sub(f"@{ZWSP}", cleaned)
    return "`" + _SHORTCODE.sub(f":{ZWSP}", cleaned) + "`"


def _unquote(match: re.Match[str]) -> str:
    return match.group(1) + "\N{FULLWIDTH GREATER-THAN SIGN}" * (len(match.group(2)) // len("&gt;"))
