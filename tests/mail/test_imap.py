"""IMAP scanning against a real Dovecot: incremental, read-only, exact across restarts and outages."""

from __future__ import annotations

import contextlib
import os
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient
from sqlalchemy import Engine, func, select

from bot.config import MailboxSettings
from bot.errors import MailboxAuthError
from bot.mail.imap import ImapSource
from bot.mail.scanner import FolderResult, Retry, ScanContext, scan_all, scan_mailbox, watch_mailbox
from bot.mail.source import RawMessage
from bot.models import Ownership, Report
from bot.store.database import open_engine
from bot.store.ingest import folder_states
from bot.store.schema import bounces, messages
from tests import mailgen
from tests.servers.dovecot import Dovecot, dovecot

__all__ = ["dovecot"]

pytestmark = pytest.mark.dovecot
FAST = Retry(attempts=4, first_delay=0.05, max_delay=0.2)


def box_for(server: Dovecot, **overrides: Any) -> MailboxSettings:
    values: dict[str, Any] = {
        "name": "postmaster", "host": "127.0.0.1", "port": server.imaps_port, "ca_file": server.ca_file,
        "username": server.user, "password_env": "TEST_IMAP_PW", "batch_size": 4}
    return MailboxSettings(**(values | overrides))


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_engine(f"sqlite:///{tmp_path / 'store.db'}")
    yield engine
    engine.dispose()


def context(engine: Engine, server: Dovecot, **overrides: Any) -> ScanContext:
    values: dict[str, Any] = {
        "engine": engine, "ownership": Ownership(domains=("example.com",)), "domains": ("example.com",),
        "environ": {"TEST_IMAP_PW": server.password}, "retry": FAST}
    return ScanContext(**(values | overrides))


def totals(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (conn.scalar(select(func.count()).select_from(messages)) or 0,
                conn.scalar(select(func.count()).select_from(bounces)) or 0)


@contextlib.contextmanager
def admin(server: Dovecot) -> Iterator[IMAPClient]:
    client = IMAPClient("127.0.0.1", port=server.imaps_port,
                        ssl_context=ssl.create_default_context(cafile=server.ca_file), timeout=5)
    client.login(server.user, server.password)
    try:
        yield client
    finally:
        client.logout()


def deliver_bounces(server: Dovecot, count: int, folder: str = "INBOX") -> None:
    for _ in range(count):
        server.deliver(mailgen.dsn(), folder)


def test_first_scan_then_incremental_scans_see_only_new_mail(dovecot: Dovecot, engine: Engine) -> None:
    for raw, _ in mailgen.mixed(6):
        dovecot.deliver(raw)
    box, ctx = box_for(dovecot), context(engine, dovecot)

    (first,) = scan_mailbox(box, ctx)
    assert (first.new_messages, first.bounces, first.errors) == (6, 3, ())
    (idle,) = scan_mailbox(box, ctx)
    assert (idle.new_messages, idle.bounces) == (0, 0)
    deliver_bounces(dovecot, 2)
    (second,) = scan_mailbox(box, ctx)
    assert (second.new_messages, second.bounces) == (2, 2)

    assert totals(engine) == (8, 5)
    with engine.connect() as conn:
        (state,) = folder_states(conn)
        domains = set(conn.scalars(select(bounces.c.domain)))
    assert state.last_uid == 8 and state.uidvalidity and state.last_error is None
    assert domains == {"example.com"}


def test_restart_keeps_counts_exact(dovecot: Dovecot, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'restart.db'}"
    deliver_bounces(dovecot, 5)
    for expected in (5, 0):
        engine = open_engine(url)  # a new process: nothing carried over but the database
        (result,) = scan_mailbox(box_for(dovecot), context(engine, dovecot))
        assert result.new_messages == expected
        engine.dispose()
    deliver_bounces(dovecot, 1)
    engine = open_engine(url)
    (result,) = scan_mailbox(box_for(dovecot), context(engine, dovecot))
    assert result.new_messages == 1 and totals(engine) == (6, 6)
    engine.dispose()


def test_uidvalidity_reset_rereads_without_counting_twice(dovecot: Dovecot, engine: Engine) -> None:
    raws = [mailgen.dsn() for _ in range(3)]
    with admin(dovecot) as client:
        client.create_folder("Bounces")
        for raw in raws:
            client.append("Bounces", raw)
    box, ctx = box_for(dovecot, folders=("Bounces",)), context(engine, dovecot)
    assert scan_mailbox(box, ctx)[0].new_messages == 3
    with engine.connect() as conn:
        (before,) = folder_states(conn)

    with admin(dovecot) as client:  # the folder is rebuilt: same mail, new UIDs, new UIDVALIDITY
        client.delete_folder("Bounces")
        client.create_folder("Bounces")
        for raw in [*raws, mailgen.dsn()]:
            client.append("Bounces", raw)
    (result,) = scan_mailbox(box, ctx)
    assert (result.new_messages, result.bounces) == (1, 1)
    assert totals(engine) == (4, 4)
    with engine.connect() as conn:
        (after,) = folder_states(conn)
    assert after.uidvalidity != before.uidvalidity and after.last_uid == 4


class _KillingSource(ImapSource):
    """Kills the server after the first batch is fetched, in the middle of the scan."""

    def __init__(self, box: MailboxSettings, environ: dict[str, str], server: Dovecot, restart: bool) -> None:
        super().__init__(box, environ)
        self.server, self.restart, self.fetches = server, restart, 0

    def fetch(self, folder: str, uids: Any) -> list[RawMessage]:
        self.fetches += 1
        if self.fetches == 2:
            self.server.kill()
            if self.restart:
                threading.Timer(0.1, self.server.start).start()
        return super().fetch(folder, uids)


@pytest.mark.parametrize("restart", [True, False], ids=["restarted-during-retries", "down-until-next-scan"])
def test_server_killed_mid_scan_loses_and_duplicates_nothing(dovecot: Dovecot, engine: Engine,
                                                              restart: bool) -> None:
    deliver_bounces(dovecot, 10)
    box = box_for(dovecot)
    ctx = context(engine, dovecot, retry=Retry(attempts=6, first_delay=0.1, max_delay=0.4))
    (result,) = scan_mailbox(box, ctx, source=_KillingSource(box, {"TEST_IMAP_PW": dovecot.password},
                                                              dovecot, restart))
    if restart:
        assert (result.new_messages, result.errors) == (10, ())
    else:
        assert result.new_messages == 4 and "unavailable" in result.errors[0]
        with engine.connect() as conn:
            (state,) = folder_states(conn)
        assert state.last_uid == 4 and state.last_error == result.errors[0]
        dovecot.start()
        (result,) = scan_mailbox(box, ctx)
        assert (result.new_messages, result.errors) == (6, ())
    assert totals(engine) == (10, 10)


def test_crash_inside_a_batch_commits_nothing_of_it(dovecot: Dovecot, engine: Engine) -> None:
    from bot.bounces import parse

    deliver_bounces(dovecot, 10)
    seen = 0

    def crashing_parse(raw: bytes, *, ownership: Ownership, max_bytes: int) -> Report:
        nonlocal seen
        seen += 1
        if seen == 6:  # second message of the second batch
            raise KeyboardInterrupt
        return parse(raw, ownership=ownership, max_bytes=max_bytes)

    with pytest.raises(KeyboardInterrupt):
        scan_mailbox(box_for(dovecot), context(engine, dovecot, parse=crashing_parse))
    assert totals(engine) == (4, 4)
    (result,) = scan_mailbox(box_for(dovecot), context(engine, dovecot))
    assert result.new_messages == 6 and totals(engine) == (10, 10)


def test_wrong_password_and_untrusted_certificate_are_clear_errors(dovecot: Dovecot, engine: Engine) -> None:
    deliver_bounces(dovecot, 2)
    good = box_for(dovecot, name="good")
    wrong = box_for(dovecot, name="wrong-password", password_env="WRONG_PW", folders=("INBOX", "Other"))
    untrusted = box_for(dovecot, name="untrusted", ca_file="")
    ctx = context(engine, dovecot, environ={"TEST_IMAP_PW": dovecot.password, "WRONG_PW": "nope"})

    # Dovecot delays the next login from an address after a failed one (~4 s): the wrong password goes last.
    results = {(r.mailbox, r.folder): r for r in scan_all([untrusted, good, wrong], ctx)}

    assert results["good", "INBOX"].new_messages == 2
    for folder in ("INBOX", "Other"):
        (error,) = results["wrong-password", folder].errors
        assert error.startswith(f"mailbox 'wrong-password': 127.0.0.1:{dovecot.imaps_port} refused the login")
    (error,) = results["untrusted", "INBOX"].errors
    assert "certificate of 127.0.0.1" in error and "not trusted" in error and "ca_file" in error
    with engine.connect() as conn:
        errors = {(s.mailbox, s.folder): s.last_error for s in folder_states(conn)}
    assert errors["good", "INBOX"] is None
    assert errors["untrusted", "INBOX"] == error


def test_no_message_gains_seen(dovecot: Dovecot, engine: Engine) -> None:
    deliver_bounces(dovecot, 3)
    dovecot.deliver(mailgen.dsn(padding=9000))
    scan_mailbox(box_for(dovecot, max_message_bytes=4096), context(engine, dovecot))
    with admin(dovecot) as client:
        client.select_folder("INBOX", readonly=True)
        flags = client.get_flags(client.search(["ALL"]))
    assert len(flags) == 4
    assert all(b"\\Seen" not in f for f in flags.values())


def test_several_folders_and_mailboxes(dovecot: Dovecot, engine: Engine) -> None:
    deliver_bounces(dovecot, 2)
    deliver_bounces(dovecot, 3, folder="Bounces")
    boxes = [box_for(dovecot, folders=("INBOX", "Bounces")),
             box_for(dovecot, name="starttls", port=dovecot.imap_port, security="starttls", folders=("Bounces",))]
    results = [(r.mailbox, r.folder, r.new_messages, r.errors) for r in scan_all(boxes, context(engine, dovecot))]
    assert results == [("postmaster", "INBOX", 2, ()), ("postmaster", "Bounces", 3, ()),
                       ("starttls", "Bounces", 3, ())]


def test_plain_to_loopback(dovecot: Dovecot, engine: Engine) -> None:
    deliver_bounces(dovecot, 1)
    box = box_for(dovecot, port=dovecot.imap_port, security="plain", ca_file="")
    assert scan_mailbox(box, context(engine, dovecot))[0].new_messages == 1


def test_message_above_the_size_cap_is_read_headers_first(dovecot: Dovecot, engine: Engine) -> None:
    dovecot.deliver(mailgen.dsn(padding=20_000))
    deliver_bounces(dovecot, 1)
    (result,) = scan_mailbox(box_for(dovecot, max_message_bytes=4096), context(engine, dovecot))
    assert result.new_messages == 2
    with engine.connect() as conn:
        rows = conn.execute(select(messages.c.uid, messages.c.truncated, messages.c.size)
                            .order_by(messages.c.uid)).all()
    assert [(uid, truncated) for uid, truncated, _ in rows] == [(1, True), (2, False)]
    assert rows[0].size > 20_000


def test_first_contact_backfills_only_recent_mail(dovecot: Dovecot, engine: Engine) -> None:
    old = dovecot.deliver(mailgen.dsn())
    month_ago = time.time() - 30 * 86400
    os.utime(old, (month_ago, month_ago))  # Dovecot takes INTERNALDATE from a Maildir file's mtime
    deliver_bounces(dovecot, 2)
    (result,) = scan_mailbox(box_for(dovecot, backfill=timedelta(days=7)), context(engine, dovecot))
    assert result.new_messages == 2
    with engine.connect() as conn:
        (state,) = folder_states(conn)
    assert state.last_uid == 3  # the old message is behind the cursor for good


def test_archive_folder_moves_only_bounces(dovecot: Dovecot, engine: Engine) -> None:
    deliver_bounces(dovecot, 2)
    dovecot.deliver(mailgen.plain())
    (result,) = scan_mailbox(box_for(dovecot, archive_folder="Processed"), context(engine, dovecot))
    assert result.new_messages == 3
    with admin(dovecot) as client:
        left = client.select_folder("INBOX", readonly=True)[b"EXISTS"]
        moved = client.select_folder("Processed", readonly=True)[b"EXISTS"]
    assert (left, moved) == (1, 2)


def test_idle_sees_a_new_bounce_within_two_seconds(dovecot: Dovecot, engine: Engine) -> None:
    scans: list[list[FolderResult]] = []
    first_scan, new_bounce = threading.Event(), threading.Event()

    def on_scan(results: list[FolderResult]) -> None:
        scans.append(results)
        first_scan.set()
        if any(r.bounces for r in results):
            new_bounce.set()

    stop = threading.Event()
    watcher = threading.Thread(target=watch_mailbox, args=(box_for(dovecot, idle=True), context(engine, dovecot), stop),
                               kwargs={"on_scan": on_scan, "renew": timedelta(seconds=30)})
    watcher.start()
    try:
        assert first_scan.wait(5)
        time.sleep(0.2)  # let it enter IDLE
        started = time.monotonic()
        deliver_bounces(dovecot, 1)
        assert new_bounce.wait(2), "IDLE did not report the new bounce within 2 s"
        assert time.monotonic() - started < 2
    finally:
        stop.set()
        watcher.join(5)
    assert not watcher.is_alive()
    assert totals(engine) == (1, 1)


def test_oauth2_token_comes_from_a_command_or_the_environment(tmp_path: Path) -> None:
    box = MailboxSettings(name="m365", host="127.0.0.1", username="u", auth="xoauth2",
                          oauth2_token_command="echo  tok-123 ")
    assert ImapSource(box, {})._oauth2_token() == "tok-123"
    from_env = box.model_copy(update={"oauth2_token_command": "", "oauth2_token_env": "TOKEN"})
    assert ImapSource(from_env, {"TOKEN": "tok-env"})._oauth2_token() == "tok-env"
    failing = box.model_copy(update={"oauth2_token_command": "sh -c 'echo expired >&2; exit 3'"})
    with pytest.raises(MailboxAuthError, match="exited with 3: expired"):
        ImapSource(failing, {})._oauth2_token()


def test_a_missing_folder_fails_alone_and_a_dead_server_is_retried_once_per_mailbox(
        dovecot: Dovecot, engine: Engine) -> None:
    deliver_bounces(dovecot, 1)
    sleeps: list[float] = []
    ctx = context(engine, dovecot, sleep=sleeps.append, retry=Retry(attempts=3, first_delay=0.5))
    missing, inbox = scan_mailbox(box_for(dovecot, folders=("Missing", "INBOX")), ctx)
    assert "refused opening folder 'Missing'" in missing.errors[0] and inbox.new_messages == 1
    assert sleeps == []

    dovecot.stop()
    results = scan_mailbox(box_for(dovecot, folders=("INBOX", "Other", "Third")), ctx)
    assert [r.folder for r in results] == ["INBOX", "Other", "Third"]
    assert all("unavailable while connecting" in r.errors[0] for r in results)
    assert sleeps == [0.5, 1.0]


def test_idle_survives_a_server_restart_and_renews(dovecot: Dovecot, engine: Engine) -> None:
    scans: list[list[FolderResult]] = []
    stop = threading.Event()
    watcher = threading.Thread(target=watch_mailbox, args=(box_for(dovecot, idle=True), context(engine, dovecot), stop),
                               kwargs={"on_scan": scans.append, "renew": timedelta(seconds=0.3)})
    watcher.start()
    try:
        deadline = time.monotonic() + 5
        while len(scans) < 3 and time.monotonic() < deadline:  # IDLE renewed twice: a scan after each
            time.sleep(0.05)
        assert len(scans) >= 3
        dovecot.kill()
        dovecot.start()
        deliver_bounces(dovecot, 1)
        deadline = time.monotonic() + 5
        while totals(engine) != (1, 1) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        watcher.join(5)
    assert totals(engine) == (1, 1)
    assert not watcher.is_alive()
