"""MIME reading: bytes → the top entity and its leaves, each decoded to text (used by `read_message`).

MIME is split here rather than by the stdlib's `email` parser: bounces need only the leaves'
types and text, and a byte-level split is three times faster and forgiving of the broken
structure bounces often have (a boundary that never occurs, a multipart with no parts). Only
text-like parts are decoded at all, so a huge binary attachment costs nothing beyond the read cap.
"""

from __future__ import annotations

import binascii
import html
import quopri
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from bot.bounces.message.headers import Headers, decode_bytes, read_fields

MAX_TEXT_CHARS = 256 * 1024  # per decoded part: the human text of a bounce is never longer
# per delivery-status part: 10,000 recipient blocks of ~400 characters (a list server's DSN)
MAX_STATUS_CHARS = 8 * 1024 * 1024
MAX_PARTS = 64  # MIME leaves walked; a bomb of nested parts stops here
MAX_ORIGINAL_CHARS = 64 * 1024  # what is kept of the attached original (headers + start of body)
MAX_DEPTH = 8
DSN_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
ORIGINAL_TYPES = frozenset({"message/rfc822", "text/rfc822-headers", "message/global",
                            "message/global-headers", "message/partial"})
_MACHINE_TYPES = DSN_TYPES | ORIGINAL_TYPES | {"message/feedback-report"}
_TEXT_LIKE = _MACHINE_TYPES | {"text/plain", "text/html", "text/enriched"}
_PARAM = re.compile(r';\s*([A-Za-z0-9*_.-]+)\s*=\s*("(?:[^"\\]|\\.)*"?|[^;\s]*)')
# Tag patterns stop at the next "<": a "<" that is never closed costs one scan to the next tag, not
# one to the end of the text (`<[^>]*>` over 250,000 "<" took 40 s).
_HTML_BREAK = re.compile(r"<(?:br|/p|p|/div|div|/tr|tr|/li|li|/h\d|/table|hr)\b[^<>]*>", re.IGNORECASE)
_HTML_DROP = re.compile(r"<(script|style|head|title)\b", re.IGNORECASE)
_HTML_TAG = re.compile(r"<[^<>]*>")
_HTML_SPACE = re.compile(r"[ \t\r\n]+")  # HTML source whitespace, which a browser shows as one space


@dataclass(frozen=True, slots=True, kw_only=True)
class Part:
    """One MIME leaf of the bounce (attached messages are leaves too)."""

    content_type: str  # lower case, "text/plain"
    headers: Headers
    text: str  # decoded text; for message/rfc822 the enclosed message as text (capped); "" for binary
    filename: str | None = None
    cut: bool = False  # the text stops at a read cap (for an attached original, by design: not a loss)


@dataclass(frozen=True, slots=True, kw_only=True)
class Entity:
    """One MIME entity as split from the bytes: its header, type and undecoded body."""

    headers: Headers
    content_type: str
    params: dict[str, str]
    body: bytes


def normalise_newlines(data: bytes) -> bytes:
    if b"\r" not in data:
        return data
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


# Blank or space-only lines an MUA or a mailbox migration put above the first header field
_LEADING_BLANKS = re.compile(rb"(?:[ \t]*\n)+")


def _without_leading_blanks(data: bytes) -> bytes:
    """`data` from its first header line on, when only blank lines stand above it.

    Only then: a message that has no header and starts with a blank line keeps its text as body.
    """
    if not data[:1].isspace():
        return data
    blanks = _LEADING_BLANKS.match(data)
    if blanks is None or not _looks_like_header(data[blanks.end() :]):
        return data
    return data[blanks.end() :]


def read_entity(data: bytes) -> Entity:
    """The top MIME entity of a raw message: LF line endings, blank lines above the header dropped."""
    return _entity(_without_leading_blanks(normalise_newlines(data)))


def _entity(data: bytes, default_type: str = "text/plain") -> Entity:
    """Split header from body (a message without a blank line is all header) and read the type."""
    if data.startswith(b"\n"):
        head, body = b"", data[1:]
    else:
        head, sep, body = data.partition(b"\n\n")
        if not sep and not _looks_like_header(head):
            head, body = b"", data
    headers = _header_fields(head)
    content_type, params = _content_type(headers.get("content-type"), default_type)
    return Entity(headers=headers, content_type=content_type, params=params, body=body)


def _looks_like_header(block: bytes) -> bool:
    first = block.split(b"\n", 1)[0]
    return b":" in first and b" " not in first.split(b":", 1)[0]


def _header_fields(head: bytes) -> Headers:
    return read_fields(decode_bytes(head, None))


def _content_type(value: str, default: str) -> tuple[str, dict[str, str]]:
    main, _, rest = value.partition(";")
    ctype = main.strip().lower()
    if "/" not in ctype or " " in ctype:
        ctype = default
    params: dict[str, str] = {}
    for key, raw in _PARAM.findall(";" + rest):
        params.setdefault(key.lower(), raw.strip('"').replace('\\"', '"'))
    return ctype, params


def leaves(top: Entity) -> Iterator[Part]:
    """The MIME leaves, depth first; attached messages are leaves (their inside is not walked)."""
    count = 0
    stack: list[tuple[Entity, int]] = [(top, 0)]
    while stack and count < MAX_PARTS:
        node, depth = stack.pop()
        boundary = node.params.get("boundary", "")
        if node.content_type.startswith("multipart/") and boundary and depth < MAX_DEPTH:
            children = _split_multipart(node.body, boundary, node.content_type)
            if not children:  # the declared boundary never occurs: try the one the body uses
                guessed = _guess_boundary(node.body)
                children = _split_multipart(node.body, guessed, node.content_type) if guessed else []
            if children:
                stack.extend((child, depth + 1) for child in reversed(children))
                continue
        if node.content_type.startswith("multipart/"):
            node = replace(node, content_type="text/plain")  # no structure survives: read it as text
        count += 1
        text, cut = _part_text(node)
        yield Part(content_type=node.content_type, headers=node.headers if node is not top else Headers(),
                   text=text, filename=_filename(node), cut=cut)


# A delimiter line: "--" and a token, used at least twice in the body.
_DELIMITER = re.compile(rb"^--([^\s-][^\s]{4,69})[ \t]*$", re.MULTILINE)


def _guess_boundary(body: bytes) -> str:
    counts: dict[bytes, int] = {}
    for match in _DELIMITER.finditer(body[:MAX_TEXT_CHARS]):
        token = match.group(1).removesuffix(b"--")
        counts[token] = counts.get(token, 0) + 1
        if counts[token] >= 2:
            return token.decode("utf-8", "replace")
    return ""


def _split_multipart(body: bytes, boundary: str, ctype: str) -> list[Entity]:
    delimiter = b"--" + boundary.encode("utf-8", "replace")
    default = "message/rfc822" if ctype == "multipart/digest" else "text/plain"
    chunks = body.split(b"\n" + delimiter)
    if body.startswith(delimiter):
        chunks[0:1] = [b"", chunks[0][len(delimiter) :]]
    if len(chunks) < 2:
        return []  # the boundary never occurs: the caller reads the body as text
    parts: list[Entity] = []
    for chunk in chunks[1 : MAX_PARTS + 1]:
        if chunk.startswith(b"--"):
            break  # closing delimiter
        _, _, content = chunk.partition(b"\n")  # rest of the delimiter line (padding)
        parts.append(_entity(content, default))
    return parts


def _filename(node: Entity) -> str | None:
    disposition = node.headers.get("content-disposition")
    name = _content_type("x/x;" + disposition.partition(";")[2], "x/x")[1].get("filename") if disposition else None
    return name or node.params.get("name") or None


def _part_text(node: Entity) -> tuple[str, bool]:
    """The decoded text of a text-like leaf ("" for any other) and whether a cap cut it."""
    ctype = node.content_type
    if ctype not in _TEXT_LIKE and not ctype.startswith("text/"):
        return "", False
    if ctype in ORIGINAL_TYPES:
        data, cut = _transfer_decoded(node, MAX_ORIGINAL_CHARS)
        return decode_bytes(data[:MAX_ORIGINAL_CHARS], None), cut or len(data) > MAX_ORIGINAL_CHARS
    cap = MAX_STATUS_CHARS if ctype in DSN_TYPES else MAX_TEXT_CHARS
    data, cut = _transfer_decoded(node, cap)
    text = decode_bytes(data[: cap * 2], node.params.get("charset"))
    return text[:cap], cut or len(data) > cap * 2 or len(text) > cap


def _transfer_decoded(node: Entity, cap: int) -> tuple[bytes, bool]:
    """The body without its transfer encoding, read up to about `cap` characters; whether it was cut."""
    encoding = node.headers.get("content-transfer-encoding").strip().lower()
    body = node.body
    if encoding not in ("base64", "quoted-printable"):
        return body, False
    limit = cap * 3
    try:
        if encoding == "base64":
            return binascii.a2b_base64(_B64_JUNK.sub(b"", body[:limit]) + b"=="), len(body) > limit
        return quopri.decodestring(body[:limit]), len(body) > limit
    except (binascii.Error, ValueError):
        return body, False


_B64_JUNK = re.compile(rb"[^A-Za-z0-9+/]")


def human_text(parts: tuple[Part, ...]) -> str:
    plain = [p.text for p in parts if p.content_type == "text/plain" and p.text]
    if plain:
        return "\n".join(plain)
    htmls = [html_to_text(p.text) for p in parts if p.content_type == "text/html" and p.text]
    if htmls:
        return "\n".join(htmls)
    others = [p.text for p in parts if p.text and p.content_type not in _MACHINE_TYPES]
    return "\n".join(others)


def html_to_text(markup: str) -> str:
    """What a browser shows of `markup`, as lines: tags and entities gone, breaks kept. Linear time."""
    text = _HTML_SPACE.sub(" ", _without_hidden(markup))
    text = _HTML_BREAK.sub("\n", text)
    text = _HTML_TAG.sub("", text)
    return "\n".join(line.strip() for line in html.unescape(text).split("\n"))


def _without_hidden(markup: str) -> str:
    """`markup` without script, style, head and title elements (an unclosed one runs to the end)."""
    if _HTML_DROP.search(markup) is None:
        return markup
    lowered = markup.lower()
    kept: list[str] = []
    at = 0
    for match in _HTML_DROP.finditer(markup):
        if match.start() < at:
            continue  # inside an element dropped already
        kept.append(markup[at : match.start()])
        close = lowered.find("</" + match.group(1).lower(), match.end())
        if close < 0:
            return "".join(kept)
        end = markup.find(">", close)
        at = len(markup) if end < 0 else end + 1
    kept.append(markup[at:])
    return "".join(kept)


def flatten(text: str, parts: tuple[Part, ...]) -> str:
    chunks = [text]
    for part in parts:
        if part.content_type in _MACHINE_TYPES and part.text:
            chunks.append(f"\nContent-Type: {part.content_type}\n\n{part.text}")
    return "\n".join(chunks)
