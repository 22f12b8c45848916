"""Quoted-original reading: the bounced original's header quoted inline in a bounce's text, when no
part attaches it (used by `read_message`)."""

from __future__ import annotations

import re

_HEADER_LINE = re.compile(r"([A-Za-z][A-Za-z0-9-]{0,60})[ \t]*:[ \t]*(.*)")
# Header names that mark a quoted copy of the bounced original.
_ORIGINAL_MARKERS = frozenset({"message-id", "subject", "from", "received", "to", "date", "return-path",
                               "dkim-signature", "mime-version", "content-type", "x-mailer", "reply-to",
                               "delivered-to", "x-original-to", "list-unsubscribe", "x-sender"})
_ORIGINAL_STRONG = frozenset({"message-id", "received", "from", "subject", "dkim-signature", "return-path"})


def quoted_header_block(text: str) -> str:
    """The first run of lines in `text` that looks like a quoted copy of the original's header."""
    lines = text.split("\n")
    total = len(lines)
    i = 0
    while i < total:
        stripped = lines[i].lstrip(" \t>|")
        match = _HEADER_LINE.match(stripped)
        if match is None or match.group(1).lower() not in _ORIGINAL_MARKERS:
            i += 1
            continue
        block, names, j = _collect_block(lines, i)
        if len(names & _ORIGINAL_MARKERS) >= 2 and names & _ORIGINAL_STRONG:
            return "\n".join(block)
        i = max(j, i + 1)
    return ""


def _collect_block(lines: list[str], start: int) -> tuple[list[str], set[str], int]:
    block: list[str] = []
    names: set[str] = set()
    j = start
    while j < len(lines) and len(block) < 200:
        line = lines[j]
        stripped = line.lstrip(" \t>|")
        if not stripped.strip():
            break
        match = _HEADER_LINE.match(stripped)
        if match is not None and " " not in match.group(1):
            names.add(match.group(1).lower())
            block.append(stripped)
        elif block and line[:1] in " \t>":
            block.append(" " + stripped.strip())
        else:
            break
        j += 1
    return block, names, j
