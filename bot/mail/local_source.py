"""A local Maildir folder, mbox file or .eml as a `MailSource` (`[[mailboxes]] path = ...`), on `bot.mail.local`.

Local stores have no UIDVALIDITY and their numbering shifts when mail is removed, so what was handed to the
scanner is kept in an index instead (`bot.store.local_index`), and a scan reads only what it does not cover:
- a Maildir message by its unique name, which a move from new/ to cur/ keeps. Maildir messages are never
  rewritten, only renamed or removed, so the name is enough and a listing needs no stat per message. new/ and
  cur/ themselves are kept as (identity, mtime): while neither changed, nothing was delivered, moved or removed,
  and a scan does not even list them;
- an mbox or .eml file by identity, size, mtime and the offset read up to: an unchanged file is not opened, an
  mbox that only grew is read from that offset, any other change re-reads the file from its start.
Whatever is read again is recognised by its content hash before parsing, so an index that lags costs time,
never a count; one that ran ahead of the committed batches would skip mail, which is why the UIDs handed out
run on from the cursor and an entry counts only once the cursor has reached its UID (`bot.store.local_index`).
Without a store (`engine=None`) nothing is remembered and each scan reads everything.

Maildir messages delivered before the backfill start are skipped, by the delivery time their unique name
starts with; mbox and .eml carry no such time. Nothing is ever changed on disk.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from bot.config import MailboxSettings
from bot.errors import SourceError
from bot.mail.local import (
    MAILDIR_SUBDIRS,
    file_names,
    is_maildir,
    is_mbox,
    read_message,
    split_mbox,
    unique_name,
)
from bot.mail.source import Cursor, Pending, RawMessage
from bot.store import local_index
from bot.store.local_index import IndexEntry

log = logging.getLogger(__name__)

# The UIDVALIDITY of an indexed local folder's cursor. Its UIDs run on from the cursor, so an index entry can
# name the batch that covers it; a cursor without this mark (first contact, a store from before the index)
# starts the index afresh.
LOCAL_UIDVALIDITY = 1

# new/'s and cur/'s mtimes are recorded only if already this old when listed: a change after the listing then
# stamps a later mtime even where mtimes are whole or even seconds (ext3, FAT, some network file systems),
# whereas one in the same tick as a fresh mtime would leave it as it was. A younger directory is listed again
# at the next scan. (Dovecot's maildir sync waits out the same window; on NFS it assumes clocks that agree.)
_SETTLED_NS = 2_000_000_000

_EDGE = 4096  # the bytes at the start of a file and before its read offset that tell a rewrite from an append

_DIRS = tuple(f"{sub}/" for sub in MAILDIR_SUBDIRS)  # index names of new/ and cur/ ("/" is in no file name)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Read:
    """A message read from the store, and the index entry that records it once its batch is committed."""

    raw: bytes
    entry: IndexEntry  # its uid is set when the message is handed out


@dataclass(slots=True, kw_only=True)
class _Plan:
    """What a scan of the folder reads, and what it records once all of it was handed out."""

    covered: int | None  # the cursor's last UID, if the cursor is this source's
    reads: Iterator[_Read] = field(default_factory=lambda: iter(()))
    gone: list[str] = field(default_factory=list)  # index entries no longer on disk
    listed: list[IndexEntry] = field(default_factory=list)  # Maildir: new/ and cur/ as they were listed
    unchanged: bool = False  # nothing to read and nothing to record
    complete: bool = True  # every message listed was read: cleared by a read error

    def unfinished(self) -> None:
        self.complete = False


class LocalSource:
    """Reads one local store; its single folder is named by the configured path."""

    def __init__(self, box: MailboxSettings, engine: Engine | None = None) -> None:
        self.name = box.name
        self._path = Path(box.path).expanduser()
        self._cap = box.max_message_bytes
        self._engine = engine
        self._plan = _Plan(covered=None, unchanged=True)

    @property
    def connected(self) -> bool:
        return True

    def connect(self) -> None:
        """Nothing to open; a missing path is reported by `pending`."""

    def close(self) -> None:
        """Nothing to close."""

    def folders(self) -> Sequence[str]:
        return (str(self._path),)

    def pending(self, folder: str, cursor: Cursor | None, since: datetime) -> Pending:
        if not self._path.exists():
            raise SourceError(f"mailbox {self.name!r}: path {str(self._path)!r} does not exist")
        covered = cursor.last_uid if cursor is not None and cursor.uidvalidity == LOCAL_UIDVALIDITY else None
        if is_maildir(self._path):
            self._plan = self._plan_maildir(folder, covered, since.timestamp())
        elif self._path.is_dir():
            self._plan = self._plan_files(folder, covered, self._path, sorted(self._list(self._path)))
        else:
            self._plan = self._plan_files(folder, covered, self._path.parent, [self._path.name])
        return Pending(folder=folder, uidvalidity=LOCAL_UIDVALIDITY, reread=True, last_uid=covered or 0)

    def batches(self, pending: Pending, size: int) -> Iterator[list[RawMessage]]:
        plan = self._plan
        if plan.unchanged:
            return
        uid = plan.covered or 0
        batch: list[RawMessage] = []
        entries: list[IndexEntry] = []
        for read in plan.reads:
            uid += 1
            batch.append(RawMessage(uid=uid, data=read.raw, size=len(read.raw), truncated=len(read.raw) > self._cap,
                                    internal_date=datetime.now(UTC)))
            entries.append(replace(read.entry, uid=uid))
            if len(batch) >= size:
                yield batch
                # The scanner asks for the next batch only once this one is committed (and should it ever ask
                # sooner, entries past the committed cursor are not trusted): record what it covers.
                self._save(pending.folder, entries)
                batch, entries = [], []
        if batch:
            yield batch
            self._save(pending.folder, entries)
        # Every message listed is handed out and committed: new/ and cur/ as listed stand for all of them,
        # unless a read failed, when the next scan must list again.
        listed = [replace(entry, uid=uid) for entry in plan.listed] if plan.complete else []
        self._save(pending.folder, listed, drop=plan.gone)

    def archive(self, folder: str, uids: Sequence[int]) -> None:
        """Local stores are never changed."""

    # ----------------------------------------------------------------------- Maildir

    def _plan_maildir(self, folder: str, covered: int | None, since: float) -> _Plan:
        """Nothing, if new/ and cur/ are as last listed; else the unique names the index does not hold."""
        listed_at = time.time_ns()
        dirs = [_directory(self._path / sub) for sub in MAILDIR_SUBDIRS]
        known = self._load(folder, covered, _DIRS)
        if all(_same_state(known.get(entry.name), entry) for entry in dirs):
            return _Plan(covered=covered, unchanged=True)
        index = self._fresh_names(folder, covered)
        files: dict[str, tuple[str, str]] = {}  # unique name → (subfolder, file name)
        for sub in MAILDIR_SUBDIRS:  # new/ first: a message moved to cur/ meanwhile is then seen twice, not missed
            files.update((unique_name(name), (sub, name)) for name in self._list(self._path / sub))
        wanted = sorted(key for key in files.keys() - index if _delivered(key) >= since)
        settled = all(entry.mtime_ns is None or entry.mtime_ns < listed_at - _SETTLED_NS for entry in dirs)
        # The old states of new/ and cur/ go in any case; the new ones are recorded if settled and all was read.
        plan = _Plan(covered=covered, gone=list(index - files.keys()), listed=dirs if settled else [])
        plan.reads = self._maildir_reads(wanted, files, plan.unfinished)
        return plan

    def _maildir_reads(self, keys: Iterable[str], files: dict[str, tuple[str, str]],
                       unfinished: Callable[[], None]) -> Iterator[_Read]:
        for key in keys:
            path = self._path.joinpath(*files[key])
            try:
                raw = read_message(path, self._cap)
            except OSError as exc:
                # Moved or removed since the listing (FileNotFoundError), or unreadable: the next scan lists again.
                if not isinstance(exc, FileNotFoundError):
                    log.warning("mailbox %r: %s: cannot read: %s", self.name, path, exc.strerror or exc)
                unfinished()
                continue
            yield _Read(raw=raw, entry=IndexEntry(name=key, uid=0))

    def _list(self, directory: Path) -> list[str]:
        try:
            return file_names(directory)
        except OSError as exc:
            raise SourceError(f"mailbox {self.name!r}: cannot list {str(directory)!r}: {exc.strerror or exc}") from exc

    # ----------------------------------------------------------------------- mbox and .eml files

    def _plan_files(self, folder: str, covered: int | None, directory: Path, names: list[str]) -> _Plan:
        """Each file that changed since it was read: an mbox that only grew from where reading stopped."""
        index = self._fresh_index(folder, covered)
        present = set(names)
        plan = _Plan(covered=covered, gone=[name for name in index if name not in present])
        plan.reads = self._file_reads(directory, names, index, plan.unfinished)
        return plan

    def _file_reads(self, directory: Path, names: Iterable[str], index: dict[str, IndexEntry],
                    unfinished: Callable[[], None]) -> Iterator[_Read]:
        for name in names:
            path = directory / name
            try:
                stat = path.stat()
                if stat.st_size == 0 or _unchanged(index.get(name), stat):
                    continue  # an empty file holds no message yet
                yield from self._read_file(path, name, index.get(name))
            except OSError as exc:
                log.warning("mailbox %r: %s: cannot read: %s", self.name, path, exc.strerror or exc)
                unfinished()

    def _read_file(self, path: Path, name: str, known: IndexEntry | None) -> Iterator[_Read]:
        with path.open("rb") as handle:
            fd = handle.fileno()
            if not is_mbox(handle):  # one message: any change is a new version of it
                raw = handle.read(self._cap + 1)
                yield _Read(raw=raw, entry=_file_entry(name, fd, os.fstat(fd).st_size))
                return
            handle.seek(_resume_offset(fd, known))
            for raw, end in split_mbox(handle, self._cap):
                yield _Read(raw=raw, entry=_file_entry(name, fd, end))

    # ----------------------------------------------------------------------- the index

    def _load(self, folder: str, covered: int | None, names: Sequence[str]) -> dict[str, IndexEntry]:
        if self._engine is None:
            return {}
        return local_index.load(self._engine, self.name, folder, covered, names)

    def _fresh_index(self, folder: str, covered: int | None) -> dict[str, IndexEntry]:
        """The entries the cursor covers, once the others are dropped: their UIDs are about to be handed out again."""
        if self._engine is None:
            return {}
        local_index.forget_uncovered(self._engine, self.name, folder, covered)
        return local_index.load(self._engine, self.name, folder, covered)

    def _fresh_names(self, folder: str, covered: int | None) -> set[str]:
        """As `_fresh_index`, names alone (what a Maildir listing is checked against): far quicker to load."""
        if self._engine is None:
            return set()
        local_index.forget_uncovered(self._engine, self.name, folder, covered)
        return local_index.covered_names(self._engine, self.name, folder, covered)

    def _save(self, folder: str, entries: Iterable[IndexEntry], drop: Iterable[str] = ()) -> None:
        if self._engine is not None:
            local_index.save(self._engine, self.name, folder, entries, drop)


def _directory(path: Path) -> IndexEntry:
    """new/ or cur/ as it stands before it is listed; a missing one has neither identity nor mtime."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return IndexEntry(name=f"{path.name}/", uid=0)
    return IndexEntry(name=f"{path.name}/", uid=0, identity=_identity(stat), mtime_ns=stat.st_mtime_ns)


def _same_state(known: IndexEntry | None, now: IndexEntry) -> bool:
    return known is not None and (known.identity, known.mtime_ns) == (now.identity, now.mtime_ns)


def _unchanged(known: IndexEntry | None, stat: os.stat_result) -> bool:
    """A file read to its end and not touched since: the same file, size and mtime."""
    if known is None:
        return False
    return (known.identity, known.size, known.mtime_ns, known.read_to) == (
        _identity(stat), stat.st_size, stat.st_mtime_ns, stat.st_size)


def _resume_offset(fd: int, known: IndexEntry | None) -> int:
    """Where to read an mbox on from: past what was read, if the file only grew; else from its start.

    An appended mbox keeps its identity and every byte before the offset. A mail client that expunges
    rewrites the file (a new inode, a shorter file or other bytes at the start or before the offset), and a
    same-size change is no append either: those are read again from the start, and the content hash
    recognises what was counted.
    """
    stat = os.fstat(fd)
    if (known is None or known.read_to is None or known.identity != _identity(stat)
            or stat.st_size <= known.read_to or _fingerprint(fd, known.read_to) != known.fingerprint):
        return 0
    return known.read_to


def _file_entry(name: str, fd: int, read_to: int) -> IndexEntry:
    stat = os.fstat(fd)
    return IndexEntry(name=name, uid=0, identity=_identity(stat), size=stat.st_size, mtime_ns=stat.st_mtime_ns,
                      read_to=read_to, fingerprint=_fingerprint(fd, read_to))


def _fingerprint(fd: int, offset: int) -> str:
    edge = min(_EDGE, offset)
    return hashlib.sha256(os.pread(fd, edge, 0) + b"\0" + os.pread(fd, edge, offset - edge)).hexdigest()


def _identity(stat: os.stat_result) -> str:
    return f"{stat.st_dev}:{stat.st_ino}"


def _delivered(key: str) -> float:
    """Delivery time from a Maildir unique name ("1732712345.M123P45.host"); unknown counts as new."""
    head = key.split(".", 1)[0]
    return float(head) if head.isdigit() else float("inf")
