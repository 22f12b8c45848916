"""The index of a local mail store: what `bot.mail.local_source` has handed to the scanner, folder by folder.

An entry is trusted only once the folder's cursor has reached its UID: the cursor (`folder_state.last_uid`)
commits with each batch, the entries are written after it, so an entry whose batch never committed is
ignored and its messages are read again (the content hash recognises what was counted), never skipped.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import SQLAlchemyError

from bot.errors import StoreError
from bot.store.schema import local_index

_CHUNK = 500  # names per DELETE: SQLite limits the parameters of one statement


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexEntry:
    """A message, directory or file of a local store, as it was when handed to the scanner."""

    name: str  # a Maildir unique name, "new/" or "cur/", or a file name
    uid: int  # the UID of the message whose batch covers this entry
    identity: str | None = None  # "st_dev:st_ino"; None for a Maildir message or a missing directory
    size: int | None = None
    mtime_ns: int | None = None
    read_to: int | None = None  # files: the offset just past the last message handed over
    fingerprint: str | None = None  # files: hash of the bytes around read_to, to notice a rewrite


def load(engine: Engine, mailbox: str, folder: str, covered: int | None,
         names: Collection[str] | None = None) -> dict[str, IndexEntry]:
    """The folder's entries (only `names`, if given) whose UID the cursor covers; none without a cursor."""
    if covered is None:
        return {}
    query = select(local_index).where(local_index.c.mailbox == mailbox, local_index.c.folder == folder,
                                      local_index.c.uid <= covered)
    if names is not None:
        query = query.where(local_index.c.name.in_(list(names)))
    try:
        with engine.connect() as conn:
            rows = conn.execute(query).all()
    except SQLAlchemyError as exc:
        raise _store_error("read", mailbox, folder, exc) from exc
    return {row.name: IndexEntry(name=row.name, uid=row.uid, identity=row.identity, size=row.size,
                                 mtime_ns=row.mtime_ns, read_to=row.read_to, fingerprint=row.fingerprint)
            for row in rows}


def covered_names(engine: Engine, mailbox: str, folder: str, covered: int | None) -> set[str]:
    """The names of the folder's entries the cursor covers: all a Maildir listing is checked against."""
    if covered is None:
        return set()
    query = select(local_index.c.name).where(local_index.c.mailbox == mailbox, local_index.c.folder == folder,
                                             local_index.c.uid <= covered)
    try:
        with engine.connect() as conn:
            return set(conn.scalars(query))
    except SQLAlchemyError as exc:
        raise _store_error("read", mailbox, folder, exc) from exc


def forget_uncovered(engine: Engine, mailbox: str, folder: str, covered: int | None) -> None:
    """Drop the entries the cursor does not cover (all of them without a cursor), before UIDs past it are reused."""
    query = delete(local_index).where(local_index.c.mailbox == mailbox, local_index.c.folder == folder)
    if covered is not None:
        query = query.where(local_index.c.uid > covered)
    try:
        with engine.begin() as conn:
            conn.execute(query)
    except SQLAlchemyError as exc:
        raise _store_error("reset", mailbox, folder, exc) from exc


def save(engine: Engine, mailbox: str, folder: str, entries: Iterable[IndexEntry],
         drop: Iterable[str] = ()) -> None:
    """Write these entries (replacing any of the same name) and drop the named ones, in one transaction."""
    latest = {entry.name: entry for entry in entries}  # a file read on in one batch: its last state
    rows = [_row(mailbox, folder, entry) for entry in latest.values()]
    gone = [*latest, *drop]
    try:
        with engine.begin() as conn:
            for start in range(0, len(gone), _CHUNK):
                conn.execute(delete(local_index).where(local_index.c.mailbox == mailbox,
                                                       local_index.c.folder == folder,
                                                       local_index.c.name.in_(gone[start:start + _CHUNK])))
            if rows:
                conn.execute(local_index.insert(), rows)
    except SQLAlchemyError as exc:
        raise _store_error("record", mailbox, folder, exc) from exc


def _row(mailbox: str, folder: str, entry: IndexEntry) -> dict[str, Any]:
    return {"mailbox": mailbox, "folder": folder, "name": entry.name, "uid": entry.uid, "identity": entry.identity,
            "size": entry.size, "mtime_ns": entry.mtime_ns, "read_to": entry.read_to,
            "fingerprint": entry.fingerprint}


def _store_error(what: str, mailbox: str, folder: str, exc: SQLAlchemyError) -> StoreError:
    return StoreError(f"mailbox {mailbox!r}: cannot {what} the index of {folder!r}: "
                      f"{str(getattr(exc, 'orig', None) or exc).splitlines()[0]}")
