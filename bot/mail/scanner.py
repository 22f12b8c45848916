"""Mailbox → new messages → parsed reports → store, folder by folder; called by `bouncecheck scan` and the scheduler.

`scan_mailbox` is the pipeline of one mailbox; `scan_all` runs it for every configured mailbox so
that one bad mailbox never stops the others; `watch_mailbox` adds IMAP IDLE on top. Each batch is
committed with the folder cursor that covers it (`bot.store.ingest.save_batch`); a failure is
retried with exponential backoff, then recorded in `folder_state.last_error`.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine

from bot import metrics
from bot.config import MailboxSettings, Settings
from bot.errors import BounceCheckError, ConfigError, MailboxAuthError, MailboxTLSError, MailboxUnavailable
from bot.mail.source import Cursor, MailSource, RawMessage, content_hash
from bot.models import Kind, Ownership, Report
from bot.store import servers_store
from bot.store.ingest import (
    Batch,
    FolderState,
    StoredMessage,
    claim_folder,
    lease_holder,
    load_state,
    record_error,
    release_folder,
    save_batch,
    seen_hashes,
)
from bot.store.leases import LEASE_TERM, current_owner
from bot.store.rates_queries import utc

log = logging.getLogger(__name__)

_FUTURE_SLACK = timedelta(days=1)  # a bounce Date further ahead than this is not believed
_PAST_SLACK = timedelta(days=30)  # nor one this much older than its arrival


class ParseFn(Protocol):
    def __call__(self, raw: bytes, *, ownership: Ownership, max_bytes: int) -> Report: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Retry:
    """Exponential backoff for an unavailable server: 1 s, 2 s, 4 s ... capped."""

    attempts: int = 4
    first_delay: float = 1.0
    max_delay: float = 30.0

    def delay(self, attempt: int) -> float:
        return float(min(self.first_delay * 2 ** (attempt - 1), self.max_delay))


@dataclass(frozen=True, slots=True, kw_only=True)
class FolderResult:
    """What one scan found in one folder: the `mailboxes` entries of `scan --json`."""

    mailbox: str
    folder: str
    new_messages: int = 0
    bounces: int = 0
    errors: tuple[str, ...] = ()
    skipped: str | None = None  # the lease holder, when another process is scanning this folder


def _default_parse(raw: bytes, *, ownership: Ownership, max_bytes: int) -> Report:
    from bot.bounces import parse

    return parse(raw, ownership=ownership, max_bytes=max_bytes)


def _default_source(box: MailboxSettings, environ: Mapping[str, str], engine: Engine | None = None) -> MailSource:
    if box.is_local:
        from bot.mail.local_source import LocalSource

        return LocalSource(box, engine)  # with the store: what was read is indexed, not re-read
    from bot.mail.imap import ImapSource

    return ImapSource(box, environ)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanContext:
    """Everything a scan touches besides the mailbox settings; tests swap any part."""

    engine: Engine
    ownership: Ownership
    domains: tuple[str, ...]
    environ: Mapping[str, str]
    parse: ParseFn = _default_parse
    open_source: Callable[[MailboxSettings, Mapping[str, str]], MailSource] = _default_source
    clock: Callable[[], datetime] = _now
    sleep: Callable[[float], None] = time.sleep
    retry: Retry = Retry()
    owner: str = field(default_factory=current_owner)

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine, environ: Mapping[str, str]) -> ScanContext:
        monitor = settings.monitor
        from bot.bounces.origin import ownership_from

        return cls(engine=engine, ownership=ownership_from(monitor), domains=monitor.domains, environ=environ,
                   open_source=functools.partial(_default_source, engine=engine))


# --------------------------------------------------------------------------- the pipeline


def scan_all(mailboxes: Sequence[MailboxSettings], ctx: ScanContext) -> list[FolderResult]:
    """Scan every mailbox in turn; a failure of one is recorded and the next one still runs."""
    results: list[FolderResult] = []
    for box in mailboxes:
        try:
            results.extend(scan_mailbox(box, ctx))
        except BounceCheckError as exc:  # e.g. the store refused the folder lease
            log.error("mailbox %r: %s", box.name, exc)
            results.extend(FolderResult(mailbox=box.name, folder=folder, errors=(str(exc),))
                           for folder in box.folders)
        except Exception as exc:  # a bug in one mailbox's scan must not hide the others
            log.exception("mailbox %r: scan failed", box.name)
            results.extend(FolderResult(mailbox=box.name, folder=folder, errors=(f"internal error: {exc!r}",))
                           for folder in box.folders)
    return results


def scan_mailbox(box: MailboxSettings, ctx: ScanContext, source: MailSource | None = None) -> list[FolderResult]:
    """Read what is new in each folder of one mailbox, parse it, store it; one result per folder."""
    source = source or ctx.open_source(box, ctx.environ)
    try:
        return _scan_folders(source, box, ctx)
    finally:
        source.close()


def _scan_folders(source: MailSource, box: MailboxSettings, ctx: ScanContext) -> list[FolderResult]:
    # What was learned since the last pass (the watch's SPF and MX, our own mail's names) counts now.
    with ctx.engine.connect() as conn:
        ctx = replace(ctx, ownership=servers_store.ownership(conn, ctx.ownership))
    results: list[FolderResult] = []
    folders = list(source.folders())
    for index, folder in enumerate(folders):
        result, mailbox_down = _scan_claimed_folder(source, box, folder, ctx)
        results.append(result)
        if mailbox_down is not None:
            # A refused login or certificate, or a server still gone after the retries, fails every
            # folder alike: do not knock again (and wait again) for each one.
            results.extend(_failed(box, rest, mailbox_down, ctx) for rest in folders[index + 1:])
            break
    return results


def _scan_claimed_folder(source: MailSource, box: MailboxSettings, folder: str,
                         ctx: ScanContext) -> tuple[FolderResult, BounceCheckError | None]:
    owner = f"{ctx.owner}/{threading.get_ident()}"  # an IDLE watcher and the scheduled scan are apart

    def claim() -> bool:
        now = ctx.clock()
        return claim_folder(ctx.engine, box.name, folder, owner, now, now + LEASE_TERM)

    if not claim():
        holder = lease_holder(ctx.engine, box.name, folder) or "another process"
        log.warning("mailbox %r folder %r: being scanned by %s; skipped", box.name, folder, holder,
                    extra={"mailbox": box.name, "folder": folder})
        return FolderResult(mailbox=box.name, folder=folder, skipped=holder), None
    started = time.monotonic()
    try:
        result, mailbox_down = _scan_folder_with_retries(source, box, folder, ctx, claim)
    finally:
        release_folder(ctx.engine, box.name, folder, owner)
        metrics.SCAN_SECONDS.labels(box.name).observe(time.monotonic() - started)
    if result.errors:
        metrics.SCAN_FAILURES.labels(box.name).inc()
    return result, mailbox_down


def _scan_folder_with_retries(source: MailSource, box: MailboxSettings, folder: str, ctx: ScanContext,
                              renew_lease: Callable[[], object]) -> tuple[FolderResult, BounceCheckError | None]:
    """The folder's result, and the error if it is one of the whole mailbox rather than this folder."""
    tally = _Tally()
    for attempt in range(1, ctx.retry.attempts + 1):
        try:
            if not source.connected:
                source.connect()
            read_folder(source, box, folder, ctx, tally, renew_lease)
            return FolderResult(mailbox=box.name, folder=folder, new_messages=tally.messages,
                                bounces=tally.bounces), None
        except MailboxUnavailable as exc:
            source.close()
            if attempt == ctx.retry.attempts:
                return _failed(box, folder, exc, ctx, tally), exc
            delay = ctx.retry.delay(attempt)
            log.warning("%s; retry %d/%d in %.1f s", exc, attempt, ctx.retry.attempts - 1, delay)
            ctx.sleep(delay)
        except (MailboxAuthError, MailboxTLSError, ConfigError) as exc:
            source.close()
            return _failed(box, folder, exc, ctx, tally), exc
        except BounceCheckError as exc:  # this folder only: it does not exist, the store refused a batch
            return _failed(box, folder, exc, ctx, tally), None
    raise AssertionError("unreachable")


def read_folder(source: MailSource, box: MailboxSettings, folder: str, ctx: ScanContext,
                tally: _Tally | None = None, after_batch: Callable[[], object] | None = None) -> _Tally:
    """The steps for one folder: cursor → pending UIDs → batches of fetch, recognise, parse, store."""
    tally = tally if tally is not None else _Tally()
    with ctx.engine.connect() as conn:
        state = load_state(conn, box.name, folder)
    pending = source.pending(folder, _cursor(state), _backfill_start(box, state, ctx.clock()))
    last_uid = state.last_uid if state and state.uidvalidity == pending.uidvalidity else 0
    for fetched in source.batches(pending, box.batch_size):
        last_uid = max([last_uid, *(m.uid for m in fetched)])
        batch = Batch(mailbox=box.name, folder=folder, uidvalidity=pending.uidvalidity, last_uid=last_uid,
                      scanned_at=ctx.clock(), messages=_new_messages(fetched, box, folder, ctx))
        saved = save_batch(ctx.engine, batch, ctx.domains)
        metrics.count_messages(box.name, [message.report for message in batch.messages])
        tally.messages += saved.messages
        tally.bounces += saved.bounces
        if box.archive_folder and saved.bounce_uids:
            source.archive(folder, saved.bounce_uids)
        if after_batch is not None:
            after_batch()
    # Move the cursor past what SEARCH SINCE skipped, note the scan time, clear the last error.
    save_batch(ctx.engine, Batch(mailbox=box.name, folder=folder, uidvalidity=pending.uidvalidity,
                                 last_uid=max(last_uid, pending.last_uid), scanned_at=ctx.clock(),
                                 messages=()), ctx.domains)
    if tally.messages:
        log.info("mailbox %r folder %r: %d new messages, %d bounces", box.name, folder, tally.messages,
                 tally.bounces, extra={"mailbox": box.name, "folder": folder})
    return tally


def _new_messages(fetched: Sequence[RawMessage], box: MailboxSettings, folder: str,
                  ctx: ScanContext) -> list[StoredMessage]:
    """Recognise messages already counted (by content hash) before paying for parsing the rest."""
    hashes = {m.uid: content_hash(m.data, truncated=m.truncated) for m in fetched}
    with ctx.engine.connect() as conn:
        seen = seen_hashes(conn, box.name, set(hashes.values()))
    out = []
    for message in fetched:
        digest = hashes[message.uid]
        if digest in seen:
            continue
        report = _parse(message, box, folder, ctx)
        out.append(StoredMessage(content_hash=digest, uid=message.uid,
                                 received_at=_received_at(report, message, ctx.clock()),
                                 size=message.size, truncated=message.truncated, report=report))
    return out


def _parse(message: RawMessage, box: MailboxSettings, folder: str, ctx: ScanContext) -> Report:
    """The parser's report; should the parser ever raise, the message is kept as unparsable."""
    try:
        return ctx.parse(message.data, ownership=ctx.ownership, max_bytes=box.max_message_bytes)
    except Exception as exc:  # parse() promises not to raise; if it does, one message is lost, not the scan
        log.exception("mailbox %r folder %r: the parser failed on UID %d", box.name, folder, message.uid)
        return Report(kind=Kind.NOT_BOUNCE, truncated=message.truncated, error=f"parser error: {exc!r}")


# --------------------------------------------------------------------------- IDLE


def watch_mailbox(box: MailboxSettings, ctx: ScanContext, stop: threading.Event, *,
                  renew: timedelta = timedelta(minutes=5),
                  on_scan: Callable[[list[FolderResult]], None] | None = None) -> None:
    """Scan, then IDLE on the first folder until new mail or `renew`, and again, until `stop` is set.

    IDLE is renewed every `renew` (RFC 2177 servers may drop an IDLE after 29 minutes, firewalls
    sooner); the scheduled scan stays the safety net. Errors back off exponentially and are recorded.
    """
    from bot.mail.imap import ImapSource

    source = ImapSource(box, ctx.environ)
    failures = 0
    try:
        while not stop.is_set():
            results = _scan_folders(source, box, ctx)
            if on_scan is not None:
                on_scan(results)
            try:
                if source.connected:  # else the scan found the server gone and recorded it
                    source.wait_for_new(box.folders[0], renew.total_seconds(), stop)
                    failures = 0
                    continue
            except BounceCheckError as exc:
                log.warning("mailbox %r: IDLE failed: %s", box.name, exc)
                source.close()
            failures += 1
            delay = ctx.retry.delay(failures)
            log.warning("mailbox %r: watching again in %.1f s", box.name, delay)
            stop.wait(delay)
    finally:
        source.close()


# --------------------------------------------------------------------------- helpers


@dataclass(slots=True)
class _Tally:
    messages: int = 0
    bounces: int = 0


def _failed(box: MailboxSettings, folder: str, exc: BounceCheckError, ctx: ScanContext,
            tally: _Tally | None = None) -> FolderResult:
    log.error("%s", exc, extra={"mailbox": box.name, "folder": folder})
    record_error(ctx.engine, box.name, folder, str(exc), ctx.clock())
    tally = tally or _Tally()
    return FolderResult(mailbox=box.name, folder=folder, new_messages=tally.messages, bounces=tally.bounces,
                        errors=(str(exc),))


def _cursor(state: FolderState | None) -> Cursor | None:
    if state is None or state.uidvalidity is None:
        return None
    return Cursor(uidvalidity=state.uidvalidity, last_uid=state.last_uid)


def _backfill_start(box: MailboxSettings, state: FolderState | None, now: datetime) -> datetime:
    """First contact reads `backfill` back; after a UIDVALIDITY change, also back to the last scan."""
    start = now - box.backfill
    if state is not None and state.last_scan_at is not None:
        start = min(start, state.last_scan_at - timedelta(days=1))
    return start


def _received_at(report: Report, message: RawMessage, now: datetime) -> datetime:
    """When the bounce happened: its Date if believable, else the server's arrival time, else now."""
    arrived = utc(message.internal_date) if message.internal_date else now
    if report.date is not None:
        date = utc(report.date)
        if arrived - _PAST_SLACK <= date <= arrived + _FUTURE_SLACK:
            return date
    return arrived


