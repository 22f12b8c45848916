"""Queries on the ingestion tables: folder scan state, seen messages, bounce records.

The scanner writes through `save_batch`, which commits a batch's messages, their bounce rows and
the folder's new cursor in one transaction, so a crash neither loses nor double-counts a bounce.
App Home reads `folder_states`; counts are read through bot/store/figures.py, the one read model.
A bounce counts for one of our `[monitor] domains` when the bounced original's sender (From,
else Return-Path, else the address the bounce came back to) is that domain or a subdomain of it;
otherwise its domain is NULL.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, case, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.errors import StoreError
from bot.models import Kind, KnownServer, Original, Report
from bot.store.buckets import add_to_buckets
from bot.store.rates_queries import utc_or_none
from bot.store.schema import bounces, folder_state, messages
from bot.store.servers_store import add_seen

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class FolderState:
    """Where the scan of one folder stands: the cursor and the last error (for App Home)."""

    mailbox: str
    folder: str
    uidvalidity: int | None
    last_uid: int
    last_scan_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredMessage:
    """One scanned message as stored: the seen-marker, plus the bounce report parsed from it."""

    content_hash: str
    uid: int | None
    received_at: datetime
    size: int
    truncated: bool
    report: Report  # `report.error` says why a message is unparsable


@dataclass(frozen=True, slots=True, kw_only=True)
class Batch:
    """Messages read from one folder and the cursor that covers them, saved all or nothing."""

    mailbox: str
    folder: str
    uidvalidity: int | None
    last_uid: int
    scanned_at: datetime
    messages: Sequence[StoredMessage]


@dataclass(frozen=True, slots=True, kw_only=True)
class Saved:
    messages: int  # new messages recorded (duplicates of counted ones excluded)
    bounces: int  # failed-recipient rows recorded
    bounce_uids: tuple[int, ...]  # UIDs of the new messages that were bounces (for archiving)


# --------------------------------------------------------------------------- attribution


def owning_domain(original: Original | None, domains: Collection[str]) -> str | None:
    """Which of our domains a bounce counts for: the bounced original's sender domain, or a parent."""
    if original is None:
        return None
    for address in (original.from_address, original.return_path):
        domain = (address or "").rpartition("@")[2].strip().strip(">").lower().rstrip(".")
        if not domain:
            continue
        for ours in domains:
            if domain == ours or domain.endswith("." + ours):
                return ours
    return None


# --------------------------------------------------------------------------- reads


def load_state(conn: Connection, mailbox: str, folder: str) -> FolderState | None:
    row = conn.execute(select(folder_state).where(
        folder_state.c.mailbox == mailbox, folder_state.c.folder == folder)).mappings().first()
    return _state(row) if row else None


def folder_states(conn: Connection) -> list[FolderState]:
    """Every folder's scan state, for the App Home and `scan` summaries."""
    rows = conn.execute(select(folder_state).order_by(folder_state.c.mailbox, folder_state.c.folder))
    return [_state(row) for row in rows.mappings()]


def seen_hashes(conn: Connection, mailbox: str, hashes: Collection[str]) -> set[str]:
    """Which of these content hashes are already recorded for the mailbox."""
    if not hashes:
        return set()
    query = select(messages.c.content_hash).where(messages.c.mailbox == mailbox,
                                                  messages.c.content_hash.in_(list(hashes)))
    return set(conn.scalars(query))


# --------------------------------------------------------------------------- writes


def save_batch(engine: Engine, batch: Batch, domains: Collection[str]) -> Saved:
    """Record the batch's new messages and bounces and move the folder cursor, in one transaction."""
    for attempt in (1, 2):
        try:
            with engine.begin() as conn:
                return _save(conn, batch, domains)
        except IntegrityError as exc:
            # Another instance may have recorded one of these messages between our check and our
            # insert: the second attempt then sees it as seen. Twice means something else is wrong.
            if attempt == 2:
                raise _store_error(batch, exc) from exc
        except SQLAlchemyError as exc:
            raise _store_error(batch, exc) from exc
    raise AssertionError("unreachable")


def record_error(engine: Engine, mailbox: str, folder: str, error: str, at: datetime) -> None:
    """Note the error of a folder's scan; the cursor is left alone.

    `last_error_at` is when the current error began: a repeat of the same error keeps it, so the
    App Home can say "failing since" and an ops alert can be posted once, not at every scan.
    """
    values: dict[str, Any] = {"last_error": error, "last_error_at": case(
        (or_(folder_state.c.last_error.is_(None), folder_state.c.last_error != error), at),
        else_=folder_state.c.last_error_at)}
    try:
        with engine.begin() as conn:
            _upsert_state(conn, mailbox, folder, values)
    except SQLAlchemyError as exc:
        log.error("cannot record the error of mailbox %r folder %r: %s", mailbox, folder, exc)


def claim_folder(engine: Engine, mailbox: str, folder: str, owner: str, now: datetime,
                 until: datetime) -> bool:
    """Take the scan lease of a folder, so that of several instances only one scans it at a time."""
    try:
        with engine.begin() as conn:
            _insert_ignore(conn, folder_state, {"mailbox": mailbox, "folder": folder, "last_uid": 0})
            taken = conn.execute(update(folder_state).where(
                folder_state.c.mailbox == mailbox, folder_state.c.folder == folder,
                or_(folder_state.c.lease_owner.is_(None), folder_state.c.lease_owner == owner,
                    folder_state.c.lease_until.is_(None), folder_state.c.lease_until < now))
                .values(lease_owner=owner, lease_until=until))
            return bool(taken.rowcount)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot claim mailbox {mailbox!r} folder {folder!r}: {exc}") from exc


def lease_holder(engine: Engine, mailbox: str, folder: str) -> str | None:
    """Who holds a folder's scan lease (for the summary of a scan that had to skip it)."""
    with engine.connect() as conn:
        return conn.scalar(select(folder_state.c.lease_owner).where(
            folder_state.c.mailbox == mailbox, folder_state.c.folder == folder))


def release_folder(engine: Engine, mailbox: str, folder: str, owner: str) -> None:
    try:
        with engine.begin() as conn:
            conn.execute(update(folder_state).where(
                and_(folder_state.c.mailbox == mailbox, folder_state.c.folder == folder,
                     folder_state.c.lease_owner == owner)).values(lease_owner=None, lease_until=None))
    except SQLAlchemyError as exc:
        log.warning("cannot release mailbox %r folder %r: %s", mailbox, folder, exc)


def _save(conn: Connection, batch: Batch, domains: Collection[str]) -> Saved:
    seen = seen_hashes(conn, batch.mailbox, {m.content_hash for m in batch.messages})
    fresh: list[StoredMessage] = []
    for message in batch.messages:
        if message.content_hash not in seen:
            seen.add(message.content_hash)  # also drops a repeat inside the batch
            fresh.append(message)
    bounce_count = 0
    if fresh:
        ids = conn.execute(
            messages.insert().returning(messages.c.id, sort_by_parameter_order=True),
            [_message_row(batch, m) for m in fresh]).scalars().all()
        rows = [row for message_id, message in zip(ids, fresh, strict=True)
                for row in _bounce_rows(message_id, message, domains)]
        if rows:
            conn.execute(bounces.insert(), rows)
            add_to_buckets(conn, rows)
        add_seen(conn, _names_of_ours(fresh, domains), batch.scanned_at)
        bounce_count = sum(1 for row in rows if row["action"] == "failed")
    _upsert_state(conn, batch.mailbox, batch.folder, {
        "uidvalidity": batch.uidvalidity, "last_uid": batch.last_uid, "last_scan_at": batch.scanned_at,
        "last_error": None})
    return Saved(messages=len(fresh), bounces=bounce_count,
                 bounce_uids=tuple(m.uid for m in fresh if m.uid is not None and m.report.kind is Kind.BOUNCE))


def _names_of_ours(fresh: Iterable[StoredMessage], domains: Collection[str]) -> list[KnownServer]:
    """Host names, Message-ID hosts and DKIM domains our own mail showed, for the domain it counts for."""
    found = []
    for message in fresh:
        original = message.report.original
        domain = owning_domain(original, domains) if message.report.kind is Kind.BOUNCE else None
        if domain and original is not None and original.ours:
            found += [replace(name, domain=domain) for name in original.our_names]
    return found


def _store_error(batch: Batch, exc: SQLAlchemyError) -> StoreError:
    return StoreError(f"mailbox {batch.mailbox!r}: could not record a batch of {batch.folder!r}: "
                      f"{str(getattr(exc, 'orig', None) or exc).splitlines()[0]}")


def _message_row(batch: Batch, message: StoredMessage) -> dict[str, Any]:
    report = message.report
    return _fit(messages, {
        "mailbox": batch.mailbox, "folder": batch.folder, "uidvalidity": batch.uidvalidity,
        "uid": message.uid, "message_id": report.message_id, "content_hash": message.content_hash,
        "received_at": message.received_at, "scanned_at": batch.scanned_at, "kind": str(report.kind),
        "mta": report.mta, "size": message.size, "truncated": message.truncated or report.truncated,
        "error": report.error})


def _bounce_rows(message_row: int, message: StoredMessage, domains: Collection[str]) -> list[dict[str, Any]]:
    report = message.report
    if report.kind is not Kind.BOUNCE:
        return []
    original = report.original or Original()
    domain = owning_domain(original, domains)
    blocklists = " ".join(report.cited_blocklists) or None
    return [_fit(bounces, {
        "message_row": message_row, "domain": domain, "occurred_at": message.received_at,
        "recipient": failure.address, "recipient_domain": failure.address.rpartition("@")[2].lower() or None,
        "action": str(failure.action), "status": failure.status, "reply_code": failure.reply_code,
        "reason": str(failure.reason), "hard": failure.hard, "diagnostic": failure.diagnostic,
        "remote_mta": failure.remote_mta, "reporting_mta": report.reporting_mta,
        "sender": original.from_address or original.return_path, "ours": original.ours,
        "origin_basis": str(original.basis), "first_hop_ip": original.first_hop_ip, "cited_blocklists": blocklists,
    }) for failure in report.recipients]


def _fit(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """Cut strings to their column's length and drop NULs: hostile mail must not fail a batch on PostgreSQL."""
    for key, value in row.items():
        if isinstance(value, str):
            value = value.replace("\x00", "")
            length = getattr(table.c[key].type, "length", None)
            row[key] = value[:length] if length else value
    return row


def _upsert_state(conn: Connection, mailbox: str, folder: str, values: dict[str, Any]) -> None:
    _insert_ignore(conn, folder_state, {"mailbox": mailbox, "folder": folder, "last_uid": 0})
    conn.execute(update(folder_state).where(folder_state.c.mailbox == mailbox,
                                            folder_state.c.folder == folder).values(**values))


def _insert_ignore(conn: Connection, table: Table, row: dict[str, Any]) -> None:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(table).values(**row).on_conflict_do_nothing())


def _state(row: Any) -> FolderState:
    return FolderState(mailbox=row["mailbox"], folder=row["folder"], uidvalidity=row["uidvalidity"],
                       last_uid=int(row["last_uid"] or 0), last_scan_at=utc_or_none(row["last_scan_at"]),
                       last_error=row["last_error"], last_error_at=utc_or_none(row["last_error_at"]))


