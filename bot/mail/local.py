"""Local mail sources: .eml files, mbox files and Maildir folders → raw messages, capped in size.

Used by `bouncecheck parse` and by `[[mailboxes]] path = ...` sources. `iter_path` yields one
`LocalMessage` per message in a stable order; reading never loads more than `max_bytes + 1` bytes
of a message (the extra byte tells the parser the message was cut), and a file that cannot be
read yields one `LocalMessage` with `error` set instead of raising.

Labels: a file holding one message is labelled by its path (even an mbox of one message, the
usual form of a saved bounce with a "From " line); an mbox of several messages and a Maildir give
"PATH#N", N counting from 1 in file order (Maildir: by file name, new/ and cur/ together).
"""

from __future__ import annotations

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
    if path.is_dir():
        if any((path / sub).is_dir() for sub in MAILDIR_SUBDIRS):
            yield from iter_maildir(path, max_bytes)
        else:
            for child in sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")):
                yield from iter_file(child, max_bytes)
        return
    yield from iter_file(path, max_bytes)


def iter_file(path: Path, max_bytes: int) -> Iterator[LocalMessage]:
    """One message file, or each message of an mbox file."""
    try:
        with path.open("rb") as handle:
            head = handle.read(5)
            handle.seek(0)
            if head == b"From ":
                yield from _mbox_messages(handle, str(path), max_bytes)
            else:
                yield LocalMessage(source=str(path), raw=handle.read(max_bytes + 1))
    except OSError as exc:
        yield LocalMessage(source=str(path), error=_why(exc))


def iter_maildir(path: Path, max_bytes: int) -> Iterator[LocalMessage]:
    """The messages of a Maildir folder (new/ and cur/), ordered by file name."""
    entries: list[Path] = []
    for sub in MAILDIR_SUBDIRS:
        folder = path / sub
        try:
            entries.extend(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
        except FileNotFoundError:
            continue
        except OSError as exc:
            yield LocalMessage(source=str(folder), error=_why(exc))
    for number, entry in enumerate(sorted(entries, key=lambda p: p.name), start=1):
        source = f"{path}#{number}"
        key = entry.name.split(":", 1)[0]
        try:
            with entry.open("rb") as handle:
                yield LocalMessage(source=source, raw=handle.read(max_bytes + 1), key=key)
        except OSError as exc:
            yield LocalMessage(source=source, key=key, error=_why(exc))


def _mbox_messages(handle: BinaryIO, label: str, max_bytes: int) -> Iterator[LocalMessage]:
    # The first message is held back until a second one shows the file holds several.
    held: bytes | None = None
    count = 0
    for raw in _split_mbox(handle, max_bytes):
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


def _split_mbox(handle: BinaryIO, max_bytes: int) -> Iterator[bytes]:
    """Messages of an mbox, "From " separator lines dropped and ">From " quoting undone."""
    lines: list[bytes] = []
    size = 0
    started = False
    previous_blank = True
    for line in handle:
        if line.startswith(b"From ") and previous_blank:
            if started:
                yield b"".join(lines)[: max_bytes + 1]
            lines, size, started = [], 0, True
            previous_blank = False
            continue
        previous_blank = line in (b"\n", b"\r\n")
        if size > max_bytes:
            continue  # past the cap: skip the rest of this message
        if line.startswith(b">") and line.lstrip(b">").startswith(b"From "):
            line = line[1:]  # mboxrd: ">From " in a body was "From "
        lines.append(line)
        size += len(line)
    if started:
        yield b"".join(lines)[: max_bytes + 1]


def _why(exc: OSError) -> str:
    return f"cannot read: {exc.strerror or exc}"
