"""Bytes → `MessageView`: the normalised message every detector reads (called by `parse`).

The view is built once per message and never raises: line endings are made LF, headers are
unfolded and decoded (8-bit bytes as UTF-8 or a guess, RFC 2047 words when they decode), text
parts are decoded with their declared charset or a guess, HTML is reduced to text, and only
text-like parts are decoded at all, so a huge binary attachment costs nothing beyond the read cap.

MIME is split here rather than by the stdlib's `email` parser: bounces need only the leaves'
types and text, and a byte-level split is three times faster and forgiving of the broken
structure bounces often have (a boundary that never occurs, a multipart with no parts).
"""

from __future__ import annotations

import binascii
import email.errors
import email.header
import html
import quopri
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

MAX_TEXT_CHARS = 256 * 1024  # per decoded part: the human text of a bounce is never longer
# per delivery-status part: 10,000 recipient blocks of ~400 characters (a list server's DSN)
MAX_STATUS_CHARS = 8 * 1024 * 1024
# recipient blocks read from one delivery-status part: 10,000 cost ~0.5 s to read and classify, and
# a hostile 8 MB of tiny blocks would otherwise cost forty times that; beyond it `truncated` is set
MAX_RECIPIENTS = 10_000
MAX_PARTS = 64  # MIME leaves walked; a bomb of nested parts stops here
MAX_ORIGINAL_CHARS = 64 * 1024  # what is kept of the attached original (headers + start of body)

_FOLD = re.compile(r"\r?\n[ \t]+")
# Tag patterns stop at the next "<": a "<" that is never closed costs one scan to the next tag, not
# one to the end of the text (`<[^>]*>` over 250,000 "<" took 40 s).
_HTML_BREAK = re.compile(r"<(?:br|/p|p|/div|div|/tr|tr|/li|li|/h\d|/table|hr)\b[^<>]*>", re.IGNORECASE)
_HTML_DROP = re.compile(r"<(script|style|head|title)\b", re.IGNORECASE)
_HTML_TAG = re.compile(r"<[^<>]*>")
_HTML_SPACE = re.compile(r"[ \t\r\n]+")  # HTML source whitespace, which a browser shows as one space
_HEADER_LINE = re.compile(r"([A-Za-z][A-Za-z0-9-]{0,60})[ \t]*:[ \t]*(.*)")
_ADDRESS = re.compile(r"<?([^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+?)>?[.,;]?$")
# Header names that mark a quoted copy of the bounced original.
_ORIGINAL_MARKERS = frozenset({"message-id", "subject", "from", "received", "to", "date", "return-path",
                               "dkim-signature", "mime-version", "content-type", "x-mailer", "reply-to",
                               "delivered-to", "x-original-to", "list-unsubscribe", "x-sender"})
_ORIGINAL_STRONG = frozenset({"message-id", "received", "from", "subject", "dkim-signature", "return-path"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Headers:
    """Ordered, case-insensitive, multi-valued header fields with decoded, unfolded values."""

    pairs: tuple[tuple[str, str], ...] = ()
    index: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]]) -> Headers:
        return cls._of_normalised(tuple([(name.strip().lower(), value) for name, value in pairs]))

    @classmethod
    def _of_normalised(cls, kept: tuple[tuple[str, str], ...]) -> Headers:
        """`of` for names stripped and lower-cased already, as `_fields` and merged blocks have them."""
        # Most names occur once: their 1-tuple is made at once, and only repeated names ("Received")
        # are gathered in lists and frozen after (freezing every name's list was a seventh of `of`).
        index: dict[str, tuple[str, ...]] = {}
        repeated: dict[str, list[str]] = {}
        for name, value in kept:
            if name not in index:
                index[name] = (value,)
            elif name in repeated:
                repeated[name].append(value)
            else:
                repeated[name] = [*index[name], value]
        index.update((name, tuple(values)) for name, values in repeated.items())
        return cls(pairs=kept, index=index)

    def get(self, name: str, default: str = "") -> str:
        """The first value of a field, or `default`."""
        values = self.index.get(name.lower())
        return values[0] if values else default

    def get_all(self, name: str) -> tuple[str, ...]:
        return self.index.get(name.lower(), ())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self.index

    def __bool__(self) -> bool:
        return bool(self.pairs)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.pairs)


@dataclass(frozen=True, slots=True, kw_only=True)
class Part:
    """One MIME leaf of the bounce (attached messages are leaves too)."""

    content_type: str  # lower case, "text/plain"
    headers: Headers
    text: str  # decoded text; for message/rfc822 the enclosed message as text (capped); "" for binary
    filename: str | None = None
    cut: bool = False  # the text stops at a read cap (for an attached original, by design: not a loss)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryStatus:
    """A message/delivery-status body (RFC 3464): one per-message block, one block per recipient."""

    per_message: Headers
    per_recipient: tuple[Headers, ...]
    cut: bool = False  # more than MAX_RECIPIENTS recipient blocks: the rest were not read


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageView:
    """What detectors read. All text is str with LF line endings."""

    headers: Headers  # the bounce's own header
    subject: str
    from_address: str  # bare, lower case; "" if none
    content_type: str  # lower case, "multipart/report"
    report_type: str  # lower case report-type parameter; "" when not multipart/report
    parts: tuple[Part, ...]  # MIME leaves in order (one part, the body, for a single-part message)
    text: str  # human-readable text: text/plain parts (or HTML reduced to text), joined
    # Sisimai-style flattened body: `text`, then each machine-readable part after a line
    # "Content-Type: message/delivery-status" (or message/feedback-report, message/rfc822,
    # text/rfc822-headers) and a blank line, so ports of line-oriented parsers work on one string.
    body: str
    delivery_status: DeliveryStatus | None  # the first message/delivery-status part, parsed
    feedback_report: Headers | None  # the message/feedback-report fields (ARF)
    original: Headers | None  # headers of the bounced original: attached or quoted inline
    original_text: str  # the original as attached or quoted (headers and start of body), capped
    # the raw message was cut at the read cap, or a human-text or delivery-status part at its own:
    # what the report lists may be incomplete
    truncated: bool

    def header(self, name: str) -> str:
        return self.headers.get(name)


def read_message(raw: bytes, *, max_bytes: int) -> MessageView:
    """Build the view of `raw`, read up to `max_bytes`; never raises on malformed mail."""
    truncated = len(raw) > max_bytes
    data = _without_leading_blanks(normalise_newlines(raw[:max_bytes] if truncated else raw))
    top = _entity(data)
    headers = top.headers
    parts = tuple(_leaves(top))
    text = _human_text(parts)
    status_part = next((p for p in parts if p.content_type in _DSN_TYPES), None)
    feedback_part = next((p for p in parts if p.content_type == "message/feedback-report"), None)
    original_part = next((p for p in parts if p.content_type in _ORIGINAL_TYPES), None)
    original_text = original_part.text if original_part is not None else quoted_header_block(text)
    original = parse_header_block(original_text) if original_text else None
    delivery_status = parse_delivery_status(status_part.text) if status_part is not None else None
    return MessageView(
        headers=headers,
        subject=headers.get("subject"),
        from_address=first_address(headers.get("from")),
        content_type=top.content_type,
        report_type=top.params.get("report-type", "").lower() if top.content_type == "multipart/report" else "",
        parts=parts,
        text=text,
        body=_flatten(text, parts),
        delivery_status=delivery_status,
        feedback_report=parse_header_block(feedback_part.text) if feedback_part is not None else None,
        original=original or None,
        original_text=original_text,
        truncated=truncated or any(p.cut for p in parts if p.content_type not in _ORIGINAL_TYPES)
        or (delivery_status is not None and delivery_status.cut),
    )


_DSN_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
_ORIGINAL_TYPES = frozenset({"message/rfc822", "text/rfc822-headers", "message/global",
                             "message/global-headers", "message/partial"})
_MACHINE_TYPES = _DSN_TYPES | _ORIGINAL_TYPES | {"message/feedback-report"}
_TEXT_LIKE = _MACHINE_TYPES | {"text/plain", "text/html", "text/enriched"}
_PARAM = re.compile(r';\s*([A-Za-z0-9*_.-]+)\s*=\s*("(?:[^"\\]|\\.)*"?|[^;\s]*)')
MAX_DEPTH = 8


@dataclass(frozen=True, slots=True, kw_only=True)
class _Entity:
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


def _entity(data: bytes, default_type: str = "text/plain") -> _Entity:
    """Split header from body (a message without a blank line is all header) and read the type."""
    if data.startswith(b"\n"):
        head, body = b"", data[1:]
    else:
        head, sep, body = data.partition(b"\n\n")
        if not sep and not _looks_like_header(head):
            head, body = b"", data
    headers = _header_fields(head)
    content_type, params = _content_type(headers.get("content-type"), default_type)
    return _Entity(headers=headers, content_type=content_type, params=params, body=body)


def _looks_like_header(block: bytes) -> bool:
    first = block.split(b"\n", 1)[0]
    return b":" in first and b" " not in first.split(b":", 1)[0]


def _header_fields(head: bytes) -> Headers:
    return _fields(decode_bytes(head, None))


def _content_type(value: str, default: str) -> tuple[str, dict[str, str]]:
    main, _, rest = value.partition(";")
    ctype = main.strip().lower()
    if "/" not in ctype or " " in ctype:
        ctype = default
    params: dict[str, str] = {}
    for key, raw in _PARAM.findall(";" + rest):
        params.setdefault(key.lower(), raw.strip('"').replace('\\"', '"'))
    return ctype, params


def decode_header_value(value: bytes | str) -> str:
    """Unfold and decode one header value: 8-bit bytes as UTF-8 (or a guess), RFC 2047 words."""
    text = value if isinstance(value, str) else decode_bytes(value, None)
    if "\n" in text:
        text = _FOLD.sub(" ", text).replace("\n", " ")
    if "=?" in text:
        text = _decode_words(text)
    return text.strip()


def _decode_words(text: str) -> str:
    try:
        chunks = email.header.decode_header(text)
    except (ValueError, LookupError, UnicodeError, binascii.Error, AssertionError, email.errors.MessageError):
        return text
    out: list[str] = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            out.append(chunk)
        else:
            out.append(decode_bytes(chunk, charset))
    return "".join(out)


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode with the declared charset, else UTF-8, else a guess; bad bytes become U+FFFD."""
    if data.isascii():
        return data.decode("ascii")
    if charset:
        name = charset.strip().strip('"').lower()
        if name not in ("unknown-8bit", "x-unknown", "us-ascii", "ascii", "default", ""):
            try:
                return data.decode(name, "replace")
            except (LookupError, UnicodeError, ValueError):
                pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if b"\x1b$" in data:  # ISO-2022-JP escape sequences (Japanese carriers)
        try:
            return data.decode("iso-2022-jp", "replace")
        except (LookupError, UnicodeError):
            pass
    return data.decode("cp1252", "replace")


def first_address(value: str) -> str:
    """The bare address in a From/To-like value, lower case; "" if none."""
    if not value:
        return ""
    start = value.rfind("<")
    if start >= 0:
        end = value.find(">", start)
        candidate = value[start + 1 : end if end > 0 else None].strip()
        if "@" in candidate:
            return candidate.lower()
    for token in value.replace(",", " ").split():
        match = _ADDRESS.match(token)
        if match:
            return match.group(1).strip("<>").lower()
    return ""


def _leaves(top: _Entity) -> Iterator[Part]:
    """The MIME leaves, depth first; attached messages are leaves (their inside is not walked)."""
    count = 0
    stack: list[tuple[_Entity, int]] = [(top, 0)]
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


def _split_multipart(body: bytes, boundary: str, ctype: str) -> list[_Entity]:
    delimiter = b"--" + boundary.encode("utf-8", "replace")
    default = "message/rfc822" if ctype == "multipart/digest" else "text/plain"
    chunks = body.split(b"\n" + delimiter)
    if body.startswith(delimiter):
        chunks[0:1] = [b"", chunks[0][len(delimiter) :]]
    if len(chunks) < 2:
        return []  # the boundary never occurs: the caller reads the body as text
    parts: list[_Entity] = []
    for chunk in chunks[1 : MAX_PARTS + 1]:
        if chunk.startswith(b"--"):
            break  # closing delimiter
        _, _, content = chunk.partition(b"\n")  # rest of the delimiter line (padding)
        parts.append(_entity(content, default))
    return parts


def _filename(node: _Entity) -> str | None:
    disposition = node.headers.get("content-disposition")
    name = _content_type("x/x;" + disposition.partition(";")[2], "x/x")[1].get("filename") if disposition else None
    return name or node.params.get("name") or None


def _part_text(node: _Entity) -> tuple[str, bool]:
    """The decoded text of a text-like leaf ("" for any other) and whether a cap cut it."""
    ctype = node.content_type
    if ctype not in _TEXT_LIKE and not ctype.startswith("text/"):
        return "", False
    if ctype in _ORIGINAL_TYPES:
        data, cut = _transfer_decoded(node, MAX_ORIGINAL_CHARS)
        return decode_bytes(data[:MAX_ORIGINAL_CHARS], None), cut or len(data) > MAX_ORIGINAL_CHARS
    cap = MAX_STATUS_CHARS if ctype in _DSN_TYPES else MAX_TEXT_CHARS
    data, cut = _transfer_decoded(node, cap)
    text = decode_bytes(data[: cap * 2], node.params.get("charset"))
    return text[:cap], cut or len(data) > cap * 2 or len(text) > cap


def _transfer_decoded(node: _Entity, cap: int) -> tuple[bytes, bool]:
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


def _human_text(parts: tuple[Part, ...]) -> str:
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


def _flatten(text: str, parts: tuple[Part, ...]) -> str:
    chunks = [text]
    for part in parts:
        if part.content_type in _MACHINE_TYPES and part.text:
            chunks.append(f"\nContent-Type: {part.content_type}\n\n{part.text}")
    return "\n".join(chunks)


def parse_header_block(text: str) -> Headers:
    """Parse "Name: value" lines with continuation lines, up to the first blank line."""
    return _fields(text.split("\n\n", 1)[0])


# "Name: value" and its continuation lines; lines that are neither (garbage, an mbox "From "
# line, a continuation without a field) are skipped.
_FIELD = re.compile(r"^([A-Za-z][A-Za-z0-9_-]{0,60})[ \t]*:[ \t]*([^\n]*(?:\n[ \t]+[^\n]*)*)", re.MULTILINE)


def _fields(block: str) -> Headers:
    # most values are one line without encoded words: stripped here, without a call per field
    return Headers._of_normalised(tuple([
        (name.lower(), _field_value(value) if "\n" in value or "=?" in value else value.strip())
        for name, value in _FIELD.findall(block)
    ]))


def _field_value(value: str) -> str:
    if "\n" in value:
        value = " ".join(map(str.strip, value.split("\n")))
    if "=?" in value:
        value = _decode_words(value)
    return value.strip()


_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def parse_delivery_status(text: str) -> DeliveryStatus:
    """Split RFC 3464 fields into the per-message block and one block per recipient.

    Blocks are separated by blank lines; a block without a recipient field is merged into its
    neighbour, which copes with MTAs that put a blank line inside a recipient's fields.
    """
    per_message = Headers()
    recipients: list[Headers] = []
    for chunk in _BLANK_LINE.split(text.strip()):
        block = _fields(chunk)
        if not block:
            continue
        is_recipient = "final-recipient" in block or "original-recipient" in block
        if is_recipient:
            if len(recipients) == MAX_RECIPIENTS:
                return DeliveryStatus(per_message=per_message, per_recipient=tuple(recipients), cut=True)
            recipients.append(block)
        elif recipients:
            recipients[-1] = Headers._of_normalised((*recipients[-1].pairs, *block.pairs))
        else:
            per_message = Headers._of_normalised((*per_message.pairs, *block.pairs)) if per_message else block
    return DeliveryStatus(per_message=per_message, per_recipient=tuple(recipients))


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


def squeeze(text: str) -> str:
    """One line, runs of spaces, tabs and newlines as one space, stripped."""
    # str methods, not re.sub(r"[ \t]+", " ", ...): twice as fast, and detectors squeeze every diagnostic
    return " ".join(filter(None, text.replace("\n", " ").replace("\t", " ").split(" "))).strip()
