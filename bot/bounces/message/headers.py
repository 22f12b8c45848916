"""Header fields as bounces write them: `Headers`, read from a block of "Name: value" lines, with
values unfolded and decoded (RFC 2047 words, 8-bit bytes); used by the MIME, DSN and quoted-original
readers beside it and by detectors."""

from __future__ import annotations

import binascii
import email.errors
import email.header
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

_FOLD = re.compile(r"\r?\n[ \t]+")
# A whole token, "<kijitora@example.org>," or "kijitora@example.org"; the lookahead checks its shape in one
# pass first, so a long token of "@"s that is no address is not retried from each "@" (8 s on 30 kB).
_ADDRESS = re.compile(r"(?=<?[^\s<>\"'(),;:]++>?[.,;]?$)<?([^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+?)>?[.,;]?$")


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
        """`of` for names stripped and lower-cased already, as `read_fields` and merged blocks have them."""
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


def parse_header_block(text: str) -> Headers:
    """Parse "Name: value" lines with continuation lines, up to the first blank line."""
    return read_fields(text.split("\n\n", 1)[0])


# "Name: value" and its continuation lines; lines that are neither (garbage, an mbox "From "
# line, a continuation without a field) are skipped.
_FIELD = re.compile(r"^([A-Za-z][A-Za-z0-9_-]{0,60})[ \t]*:[ \t]*([^\n]*(?:\n[ \t]+[^\n]*)*)", re.MULTILINE)


def read_fields(block: str) -> Headers:
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


def squeeze(text: str) -> str:
    """One line, runs of spaces, tabs and newlines as one space, stripped."""
    # str methods, not re.sub(r"[ \t]+", " ", ...): twice as fast, and detectors squeeze every diagnostic
    return " ".join(filter(None, text.replace("\n", " ").replace("\t", " ").split(" "))).strip()
