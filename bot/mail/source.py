"""What the scanner needs from a mailbox, whatever it is: IMAP (`imap.py`) or a local Maildir/mbox.

The scanner asks a source, folder by folder, what is newer than the cursor it stored (`pending`),
then reads it in batches (`batches`). A source is a context manager: entering connects, leaving
disconnects. It never marks, moves or deletes anything unless `archive` is called.
`content_hash` is how a message is recognised when its UID can no longer be trusted.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True, kw_only=True)
class Cursor:
    """Where the last committed batch of a folder ended."""

    uidvalidity: int | None
    last_uid: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Pending:
    """What of one folder is to be read now.

    `reread` is true when the cursor no longer applies (first contact, UIDVALIDITY changed, a local
    source without stable ids): the messages may have been counted already and must be recognised
    by content before they are counted again.
    """

    folder: str
    uidvalidity: int | None
    reread: bool
    last_uid: int = 0  # the cursor once everything pending is read (IMAP: UIDNEXT - 1 when known)
    uids: Sequence[int] = ()  # IMAP: the UIDs to read, oldest first; local sources walk the store


@dataclass(frozen=True, slots=True, kw_only=True)
class RawMessage:
    """One fetched message; `data` holds only the header block when `truncated`."""

    uid: int
    data: bytes
    size: int
    truncated: bool
    internal_date: datetime | None = None


class MailSource(Protocol):
    """A mailbox the scanner can read; see `ImapSource` and `LocalSource`."""

    name: str

    def connect(self) -> None: ...

    def close(self) -> None: ...

    @property
    def connected(self) -> bool: ...

    def folders(self) -> Sequence[str]: ...

    def pending(self, folder: str, cursor: Cursor | None, since: datetime) -> Pending: ...

    def batches(self, pending: Pending, size: int) -> Iterator[list[RawMessage]]: ...

    def archive(self, folder: str, uids: Sequence[int]) -> None: ...


# Header fields a mail store or delivery agent adds or rewrites: a message copied, re-delivered or
# re-imported keeps its content but not these, so they stay out of its identity.
_TRACE_FIELDS = frozenset({b"received", b"return-path", b"delivered-to", b"x-original-to", b"status",
                           b"x-status", b"x-keywords", b"x-uid", b"content-length", b"lines",
                           b"x-delivered-to", b"envelope-to", b"x-envelope-to"})
_LINE_END = re.compile(rb"\r?\n")
_HEADER_END = re.compile(rb"\r?\n\r?\n")


def content_hash(data: bytes, *, truncated: bool = False) -> str:
    """SHA-256 of a message without its trace fields, line endings made LF; Message-ID included.

    A headers-only read hashes differently from a whole one, so the two are never confused.
    """
    split = _HEADER_END.search(data)
    head, body = (data[:split.start()], data[split.end():]) if split else (data, b"")
    digest = hashlib.sha256(b"headers-only\n" if truncated else b"message\n")
    keep = True
    for line in _LINE_END.split(head):
        if line[:1] not in (b" ", b"\t"):  # a new field; continuation lines follow their field
            keep = line.split(b":", 1)[0].strip().lower() not in _TRACE_FIELDS
        if keep:
            digest.update(line + b"\n")
    digest.update(b"\n")
    digest.update(_LINE_END.sub(b"\n", body))
    return digest.hexdigest()
