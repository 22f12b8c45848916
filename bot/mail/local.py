"""Local mail sources: .eml files, mbox files and Maildir folders → raw messages, capped in size.

Used by `bouncecheck parse` and by `[[mailboxes]] path = ...` sources. `iter_path` yields one
`LocalMessage` per message in a stable order; reading never loads more than `max_bytes + 1` bytes
of a message (the extra byte tells the parser the message was cut), and a file that cannot be
read yields one `LocalMessage` with `error` set instead of raising.

Labels: a file holding one message is labelled by its path (even an mbox of one message, the
usual form of a saved bounce with a "From " line); an mbox of several messages and a Maildir give
"PATH#N", N counting from 1 in file order (Maildir: by file name, new/ and cur/ together).

`bot.mail.local_source` reads through the same pieces one at a time: `file_names` lists a directory
without reading or stat-ing its files, `read_message` reads one message file, `split_mbox` reads an mbox on from
an offset and says where each message ends.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

MAILDIR_SUBDIRS = ("new", "cur")


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalMessage:
    """One message read from a local source."""

    source: str  # "path/to/file.eml", "path/to/mbox#3", "path/to/Maildir#2"
    raw: bytes = b""  # at most max_bytes + 1 bytes
    key: str = ""  # stable identity inside the source: Maildir unique name, mbox ordinal, "" for a file
    error: str | None = None  # why the message could not be read; raw is empty then


def iter_path(path: Path, max_bytes: int) -> Iterator[LocalMessage]:
    """The messages at `path`: a Maildir, a directory of message files, an mbox or one message."""
    if is_maildir(path):
        yield from iter_maildir(path, max_bytes)
    elif path.is_dir():
        for child in message_files(path):
            yield from iter_file(child, max_bytes)
    else:
        yield from iter_file(path, max_bytes)


def message_files(path: Path) -> list[Path]:
    """The files of a directory that is no Maildir, by name."""
    return [path / name for name in sorted(file_names(path))]


def is_maildir(path: Path) -> bool:
    return path.is_dir() and any((path / sub).is_dir() for sub in MAILDIR_SUBDIRS)


def iter_file(path: Path, max_bytes: int) -> Iterator[LocalMessage]:
    """One message file, or each message of an mbox file."""
    try:
        with path.open("rb") as handle:
            if is_mbox(handle):
                yield from _mbox_messages(handle, str(path), max_bytes)
            else:
                yield LocalMessage(source=str(path), raw=handle.read(max_bytes + 1))
    except OSError as exc:
        yield LocalMessage(source=str(path), error=_why(exc))


def is_mbox(handle: BinaryIO) -> bool:
    """Whether an open file starts with an mbox "From " line; the file is left at its start."""
    head = handle.read(5)
    handle.seek(0)
    return head == b"From "


def iter_maildir(path: Path, max_bytes: int) -> Iterator[LocalMessage]:
    """The messages of a Maildir folder (new/ and cur/), ordered by file name."""
    entries: list[Path] = []
    for sub in MAILDIR_SUBDIRS:
        folder = path / sub
        try:
            entries.extend(folder / name for name in file_names(folder))
        except OSError as exc:
            yield LocalMessage(source=str(folder), error=_why(exc))
    for number, entry in enumerate(sorted(entries, key=lambda p: p.name), start=1):
        source = f"{path}#{number}"
        key = unique_name(entry.name)
        try:
            yield LocalMessage(source=source, raw=read_message(entry, max_bytes), key=key)
        except OSError as exc:
            yield LocalMessage(source=source, key=key, error=_why(exc))


def file_names(folder: Path) -> list[str]:
    """The names of the files in a directory (a Maildir's new/ or cur/), hidden ones left out; [] if it is missing.

    os.scandir gives names and file types from the directory alone: a listing costs no stat per file.
    """
    try:
        with os.scandir(folder) as entries:
            return [entry.name for entry in entries if not entry.name.startswith(".") and entry.is_file()]
    except FileNotFoundError:
        return []


def unique_name(file_name: str) -> str:
    """What stays of a Maildir file name when its flags change: "1732712345.M1P2.host:2,S" → "1732712345.M1P2.host"."""
    return file_name.split(":", 1)[0]


def read_message(path: Path, max_bytes: int) -> bytes:
    """One message file, at most max_bytes + 1 bytes of it."""
    with path.open("rb") as handle:
        return handle.read(max_bytes + 1)


def _mbox_messages(handle: BinaryIO, label: str, max_bytes: int) -> Iterator[LocalMessage]:
    # The first message is held back until a second one shows the file holds several.
    held: bytes | None = None
    count = 0
    for raw, _end in split_mbox(handle, max_bytes):
        count += 1
        if count == 1:
            held = raw
            continue
        if count == 2 and held is not None:
            yield LocalMessage(source=f"{label}#1", raw=held, key="1")
            held = None
        yield LocalMessage(source=f"{label}#{count}", raw=raw, key=str(count))
    if held is not None:
        yield LocalMessage(source=label, raw=held)


def split_mbox(handle: BinaryIO, max_bytes: int) -> Iterator[tuple[bytes, int]]:
    """Messages of an mbox from where `handle` stands, "From " separator lines dropped and ">From " quoting
    undone, each with the offset just past it: where the next "From " line starts, or the end of the file.

    Reading starts at the start of the file or at such an offset; anything before the first "From " line
    (the blank line some writers put before each appended message) is no message.
    """
    lines: list[bytes] = []
    size = 0
    started = False
    previous_blank = True
    position = handle.tell()
    for line in handle:
        if line.startswith(b"From ") and previous_blank:
            if started:
                yield b"".join(lines)[: max_bytes + 1], position
            lines, size, started = [], 0, True
            previous_blank = False
            position += len(line)
            continue
        position += len(line)
        previous_blank = line in (b"\n", b"\r\n")
        if size > max_bytes:
            continue  # past the cap: skip the rest of this message
        if line.startswith(b">") and line.lstrip(b">").startswith(b"From "):
            line = line[1:]  # mboxrd: ">From " in a body was "From "
        lines.append(line)
        size += len(line)
    if started:
        yield b"".join(lines)[: max_bytes + 1], position


def _why(exc: OSError) -> str:
    return f"cannot read: {exc.strerror or exc}"
