"""Local sources with their index: a scan reads only what is new, and never loses or double-counts a bounce.

Real Maildirs and mbox files in tmp dirs, a real SQLite store, the real scanner. What a scan reads is
watched two ways: `RecordingSource` keeps what the source handed to the scanner, and an audit hook
(`sys.addaudithook`) notes every file the process opens and every directory it lists under the mail store.
"""

from __future__ import annotations

import contextlib
import mailbox
import os
import sqlite3
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from bot.config import MailboxSettings
from bot.mail.local_source import LOCAL_UIDVALIDITY, LocalSource
from bot.mail.scanner import FolderResult, Retry, ScanContext, scan_mailbox
from bot.mail.source import Pending, RawMessage
from bot.models import Ownership
from bot.store import local_index
from bot.store.database import open_engine
from bot.store.schema import bounces, messages
from tests import mailgen
from tests.servers.postgres import pg_url

__all__ = ["pg_url"]

_watched: list[tuple[str, str]] | None = None
_hooked = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _watched is not None and event in ("open", "os.scandir", "os.listdir") and args:
        path = args[0]
        if isinstance(path, str | bytes | os.PathLike):
            _watched.append((event, os.fsdecode(path)))


@contextlib.contextmanager
def watching(root: Path) -> Iterator[list[tuple[str, str]]]:
    """The files opened ("open") and directories listed ("os.scandir") under `root` while the block runs."""
    global _watched, _hooked
    if not _hooked:  # an audit hook stays for the life of the process: one, added when first needed
        sys.addaudithook(_audit)
        _hooked = True
    seen: list[tuple[str, str]] = []
    _watched = seen
    found: list[tuple[str, str]] = []
    try:
        yield found
    finally:
        _watched = None
        found.extend((event, path) for event, path in seen if path.startswith(str(root)))


def opened(events: list[tuple[str, str]]) -> list[str]:
    return [Path(path).name for event, path in events if event == "open"]


def listed(events: list[tuple[str, str]]) -> list[str]:
    return [Path(path).name for event, path in events if event != "open"]


class RecordingSource(LocalSource):
    """The real source, keeping the messages it hands to the scanner."""

    def __init__(self, box: MailboxSettings, engine: Engine | None) -> None:
        super().__init__(box, engine)
        self.handed: list[bytes] = []

    def batches(self, pending: Pending, size: int) -> Iterator[list[RawMessage]]:
        for batch in super().batches(pending, size):
            self.handed.extend(message.data for message in batch)
            yield batch


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_engine(f"sqlite:///{tmp_path / 'store.db'}")
    yield engine
    engine.dispose()


def box_at(path: Path, **overrides: Any) -> MailboxSettings:
    values: dict[str, Any] = {"name": "local", "path": str(path), "batch_size": 2, "backfill": timedelta(days=3650)}
    return MailboxSettings(**(values | overrides))


def scan(engine: Engine, box: MailboxSettings) -> tuple[FolderResult, list[bytes], list[tuple[str, str]]]:
    """One scan as the scheduler runs it, with a fresh source: (result, messages handed over, files touched)."""
    source = RecordingSource(box, engine)
    ctx = ScanContext(engine=engine, ownership=Ownership(domains=("example.com",)), domains=("example.com",),
                      environ={}, retry=Retry(attempts=1))
    with watching(Path(box.path)) as events:
        (result,) = scan_mailbox(box, ctx, source)
    return result, source.handed, events


def totals(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (conn.scalar(select(func.count()).select_from(messages)) or 0,
                conn.scalar(select(func.count()).select_from(bounces)) or 0)


# --------------------------------------------------------------------------- Maildir

_names = iter(range(1, 1_000_000))


def maildir(root: Path) -> Path:
    for sub in ("new", "cur", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    return root


def deliver(root: Path, raw: bytes | None = None, *, sub: str = "new", delivered: float | None = None,
            flags: str = "") -> str:
    """Put a message in new/ (or cur/) under a unique name as a delivery agent does; the unique name."""
    name = f"{int(delivered or time.time())}.M{next(_names)}P{os.getpid()}.test"
    (root / sub / (name + flags)).write_bytes(raw if raw is not None else mailgen.dsn())
    return name


def settle(root: Path) -> None:
    """new/ and cur/ as they stand a while after the last delivery: their mtimes a minute old."""
    for sub in ("new", "cur"):
        old = time.time_ns() - 60 * 10**9
        os.utime(root / sub, ns=(old, old))


def test_nothing_new_lists_nothing_and_reads_nothing(tmp_path: Path, engine: Engine) -> None:
    root = maildir(tmp_path / "Maildir")
    for _ in range(3):
        deliver(root)
    deliver(root, sub="cur", flags=":2,S")
    settle(root)
    first, handed, _ = scan(engine, box_at(root))
    assert (first.new_messages, first.bounces, len(handed)) == (4, 4, 4)

    second, handed, events = scan(engine, box_at(root))

    assert (second.new_messages, second.bounces, second.errors) == (0, 0, ())
    assert handed == [] and events == []  # not a file opened, not a directory listed
    assert totals(engine) == (4, 4)


def test_a_scan_right_after_a_delivery_lists_again_but_reads_nothing(tmp_path: Path, engine: Engine) -> None:
    root = maildir(tmp_path / "Maildir")
    deliver(root)
    scan(engine, box_at(root))  # new/ was just written: its mtime could still change within the same tick

    again, handed, events = scan(engine, box_at(root))
    assert (again.new_messages, handed, opened(events)) == (0, [], [])
    assert sorted(listed(events)) == ["cur", "new"]

    settle(root)  # a minute later
    scan(engine, box_at(root))  # lists once more, and now the listing can be trusted
    settled, handed, events = scan(engine, box_at(root))
    assert (settled.new_messages, handed, events) == (0, [], [])


def test_a_new_message_in_new_is_read_alone(tmp_path: Path, engine: Engine) -> None:
    root = maildir(tmp_path / "Maildir")
    for _ in range(3):
        deliver(root)
    settle(root)
    scan(engine, box_at(root))

    name = deliver(root)
    result, handed, events = scan(engine, box_at(root))

    assert (result.new_messages, result.bounces, len(handed)) == (1, 1, 1)
    assert opened(events) == [name]
    assert totals(engine) == (4, 4)


def test_a_move_from_new_to_cur_is_the_same_message(tmp_path: Path, engine: Engine) -> None:
    root = maildir(tmp_path / "Maildir")
    names = [deliver(root) for _ in range(2)]
    settle(root)
    scan(engine, box_at(root))

    (root / "new" / names[0]).rename(root / "cur" / (names[0] + ":2,S"))  # a mail client read it
    result, handed, events = scan(engine, box_at(root))

    assert (result.new_messages, handed, opened(events)) == (0, [], [])
    assert totals(engine) == (2, 2)


def test_removing_a_message_shifts_nothing(tmp_path: Path, engine: Engine) -> None:
    root = maildir(tmp_path / "Maildir")
    names = [deliver(root) for _ in range(3)]
    settle(root)
    scan(engine, box_at(root))

    (root / "new" / names[0]).unlink()
    newer = deliver(root)
    result, handed, events = scan(engine, box_at(root))

    assert (result.new_messages, len(handed), opened(events)) == (1, 1, [newer])
    assert set(local_index.load(engine, "local", str(root), 10**9)) == {*names[1:], newer}  # the gone one forgotten
    assert totals(engine) == (4, 4)


def test_the_index_survives_a_restart(tmp_path: Path) -> None:
    root = maildir(tmp_path / "Maildir")
    for _ in range(3):
        deliver(root)
    settle(root)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = open_engine(url)
    scan(engine, box_at(root))
    engine.dispose()

    engine = open_engine(url)  # another process: nothing but the store carries over
    try:
        result, handed, events = scan(engine, box_at(root))
        assert (result.new_messages, handed, events) == (0, [], [])
    finally:
        engine.dispose()


def test_first_contact_skips_mail_delivered_before_the_backfill(tmp_path: Path, engine: Engine) -> None:
    root = maildir(tmp_path / "Maildir")
    deliver(root, delivered=time.time() - 30 * 86400)
    recent = deliver(root)
    box = box_at(root, backfill=timedelta(days=7))

    first, _, events = scan(engine, box)
    assert (first.new_messages, opened(events)) == (1, [recent])

    old = deliver(root, delivered=time.time() - 30 * 86400)  # an old name turning up later is skipped all the same
    later, _, events = scan(engine, box)
    assert (later.new_messages, opened(events)) == (0, [])
    assert old not in local_index.load(engine, "local", str(root), 10**9)


def test_an_index_write_that_fails_after_the_batch_commit_costs_a_reread_not_a_bounce(
        tmp_path: Path, engine: Engine) -> None:
    root = maildir(tmp_path / "Maildir")
    for _ in range(3):
        deliver(root)
    settle(root)
    db = tmp_path / "store.db"
    with sqlite3.connect(db) as conn:  # the store refuses the index, after accepting each batch
        conn.execute("CREATE TRIGGER no_index BEFORE INSERT ON local_index BEGIN SELECT RAISE(ABORT, 'disk full'); END")

    failed, _, _ = scan(engine, box_at(root))
    assert failed.errors and "index" in failed.errors[0]
    assert totals(engine) == (2, 2)  # the first batch (batch_size 2) committed; its index entries did not

    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER no_index")
    again, handed, _ = scan(engine, box_at(root))
    assert (again.new_messages, again.bounces, len(handed)) == (1, 1, 3)  # all read again, the two recognised
    assert totals(engine) == (3, 3)
    settled, handed, events = scan(engine, box_at(root))
    assert (settled.new_messages, handed, events) == (0, [], [])


def test_index_entries_the_cursor_has_not_reached_are_not_trusted(tmp_path: Path, engine: Engine) -> None:
    root = maildir(tmp_path / "Maildir")
    deliver(root)
    settle(root)
    scan(engine, box_at(root))  # cursor: UID 1
    name = deliver(root)
    settle(root)
    # As if the index had been written for a batch whose commit never happened (UID 2 is past the cursor):
    # the new message and new/ and cur/ as they stand now, which would make the scan look no further.
    stats = {sub: (root / sub).stat() for sub in ("new", "cur")}
    dirs = [local_index.IndexEntry(name=f"{sub}/", uid=2, identity=f"{st.st_dev}:{st.st_ino}", mtime_ns=st.st_mtime_ns)
            for sub, st in stats.items()]
    local_index.save(engine, "local", str(root), [local_index.IndexEntry(name=name, uid=2), *dirs])

    result, _, events = scan(engine, box_at(root))

    assert (result.new_messages, opened(events)) == (1, [name])
    assert totals(engine) == (2, 2)


def test_a_source_without_a_store_reads_everything_and_counts_once(tmp_path: Path, engine: Engine) -> None:
    root = maildir(tmp_path / "Maildir")
    for _ in range(2):
        deliver(root)
    settle(root)
    box = box_at(root)
    ctx = ScanContext(engine=engine, ownership=Ownership(domains=("example.com",)), domains=("example.com",),
                      environ={})
    results = [scan_mailbox(box, ctx, LocalSource(box))[0] for _ in range(2)]
    assert [r.new_messages for r in results] == [2, 0]
    assert totals(engine) == (2, 2)


# --------------------------------------------------------------------------- mbox


def mbox_bytes(*raws: bytes) -> bytes:
    """An mbox as Postfix's local(8) writes one: a "From " line, the message, a blank line."""
    return b"".join(b"From MAILER-DAEMON Mon Mar  2 10:00:00 2026\n" + raw.rstrip(b"\r\n") + b"\n\n" for raw in raws)


def test_an_unchanged_mbox_is_not_opened(tmp_path: Path, engine: Engine) -> None:
    path = tmp_path / "bounces.mbox"
    path.write_bytes(mbox_bytes(mailgen.dsn(), mailgen.plain()))
    first, _, _ = scan(engine, box_at(path))
    assert (first.new_messages, first.bounces) == (2, 1)

    again, handed, events = scan(engine, box_at(path))
    assert (again.new_messages, handed, events) == (0, [], [])


def test_an_appended_mbox_is_read_from_where_reading_stopped(tmp_path: Path, engine: Engine) -> None:
    path = tmp_path / "bounces.mbox"
    old = [mailgen.dsn(), mailgen.dsn(), mailgen.dsn()]
    path.write_bytes(mbox_bytes(*old))
    scan(engine, box_at(path))

    appended = mailgen.exim(sender="alerts@example.com")
    with path.open("ab") as handle:
        handle.write(mbox_bytes(appended))
    result, handed, _ = scan(engine, box_at(path))

    assert (result.new_messages, result.bounces) == (1, 1)
    assert handed == [appended.rstrip(b"\r\n") + b"\n\n"]  # the new message only, not the three before it
    assert totals(engine) == (4, 4)


def test_an_mbox_rewritten_shorter_is_read_again_and_counted_once(tmp_path: Path, engine: Engine) -> None:
    path = tmp_path / "bounces.mbox"
    kept, expunged, last = mailgen.dsn(), mailgen.dsn(), mailgen.dsn()
    path.write_bytes(mbox_bytes(kept, expunged, last))
    scan(engine, box_at(path))

    with path.open("r+b") as handle:  # a mail client expunged the middle message in place
        handle.write(mbox_bytes(kept, last))
        handle.truncate()
    result, handed, _ = scan(engine, box_at(path))

    assert (result.new_messages, len(handed)) == (0, 2)  # read again from the start, both recognised
    assert totals(engine) == (3, 3)
    again, handed, events = scan(engine, box_at(path))
    assert (again.new_messages, handed, events) == (0, [], [])


def test_an_mbox_expunged_and_grown_past_its_old_size_is_not_read_from_the_old_offset(
        tmp_path: Path, engine: Engine) -> None:
    path = tmp_path / "bounces.mbox"
    first = [mailgen.dsn(), mailgen.dsn(padding=3000), mailgen.dsn()]
    path.write_bytes(mbox_bytes(*first))
    scan(engine, box_at(path))

    later = [mailgen.dsn(padding=3000), mailgen.dsn(padding=3000)]
    path.write_bytes(mbox_bytes(first[0], first[2], *later))  # the second gone, two bigger ones arrived after
    result, handed, _ = scan(engine, box_at(path))

    assert (result.new_messages, result.bounces, len(handed)) == (2, 2, 4)
    assert totals(engine) == (5, 5)


def test_a_directory_of_mbox_and_eml_files_reads_each_file_once(tmp_path: Path, engine: Engine) -> None:
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "a.mbox").write_bytes(mbox_bytes(mailgen.dsn(), mailgen.dsn()))
    (folder / "b.eml").write_bytes(mailgen.dsn())
    first, _, _ = scan(engine, box_at(folder))
    assert (first.new_messages, first.bounces) == (3, 3)

    (folder / "c.eml").write_bytes(mailgen.dsn())
    result, handed, events = scan(engine, box_at(folder))
    assert (result.new_messages, len(handed), opened(events)) == (1, 1, ["c.eml"])


def test_the_cursor_of_an_indexed_folder_is_this_sources(tmp_path: Path, engine: Engine) -> None:
    path = tmp_path / "bounces.mbox"
    path.write_bytes(mbox_bytes(mailgen.dsn(), mailgen.dsn(), mailgen.dsn()))
    scan(engine, box_at(path))
    with engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT uidvalidity, last_uid FROM folder_state").one()
    assert tuple(row) == (LOCAL_UIDVALIDITY, 3)


@pytest.mark.postgres
def test_the_index_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    root = maildir(tmp_path / "Maildir")
    for _ in range(3):
        deliver(root)
    settle(root)
    path = tmp_path / "bounces.mbox"
    path.write_bytes(mbox_bytes(mailgen.dsn(), mailgen.dsn()))
    engine = open_engine(pg_url)
    try:
        assert [scan(engine, box)[0].new_messages for box in (box_at(root), box_at(path, name="mbox"))] == [3, 2]
        name = deliver(root)
        with path.open("ab") as handle:
            handle.write(mbox_bytes(mailgen.dsn()))
        maildir_scan, mbox_scan = scan(engine, box_at(root)), scan(engine, box_at(path, name="mbox"))
        assert (maildir_scan[0].new_messages, opened(maildir_scan[2])) == (1, [name])
        assert (mbox_scan[0].new_messages, len(mbox_scan[1])) == (1, 1)
        assert totals(engine) == (7, 7)
    finally:
        engine.dispose()


def test_the_scan_command_and_the_scheduler_use_the_index(tmp_path: Path, engine: Engine) -> None:
    """`ScanContext.from_settings` (what `scan` and `run` build) hands the store to local sources."""
    from bot.config import settings_from_mapping

    maildir = tmp_path / "Maildir"
    store = mailbox.Maildir(maildir)
    for n in range(3):
        store.add(mailgen.dsn(recipient=f"gone{n}@remote.example.org", sender="news@example.com"))
    settings = settings_from_mapping({"mailboxes": [{"name": "local", "path": str(maildir)}],
                                      "monitor": {"domains": ["example.com"]}}, "test")
    ctx = ScanContext.from_settings(settings, engine, {})
    (first,) = scan_mailbox(settings.mailboxes[0], ctx)
    time.sleep(2.1)  # directory times are trusted once they are 2 s old
    scan_mailbox(settings.mailboxes[0], ctx)  # lists once more, now with settled directory times
    with watching(maildir) as events:
        (again,) = scan_mailbox(settings.mailboxes[0], ctx)
    assert (first.new_messages, again.new_messages) == (3, 0)
    assert opened(events) == [] and listed(events) == [], "nothing read or listed when nothing changed"
