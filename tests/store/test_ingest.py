"""bot/store/ingest.py: batches commit all or nothing, duplicates are recognised, bounces are attributed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, func, select

from bot.config import MonitorSettings
from bot.errors import StoreError
from bot.mail.source import content_hash
from bot.models import Action, Kind, Original, Reason, RecipientFailure, Report
from bot.store import ingest
from bot.store.database import open_engine
from bot.store.figures import read_figures
from bot.store.schema import bounces, messages
from tests.servers.postgres import pg_url

__all__ = ["pg_url"]

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
DOMAINS = ("example.com",)


def failed_in_window(conn: Connection) -> dict[str, int]:
    """What every surface shows as the bounces of the last hour (the read model)."""
    monitor = MonitorSettings(domains=DOMAINS, window=timedelta(hours=1), baseline_days=0)
    return {d: f.failed for d, f in read_figures(conn, DOMAINS, NOW + timedelta(seconds=1), monitor).items()}


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_engine(f"sqlite:///{tmp_path / 'store.db'}")
    yield engine
    engine.dispose()


def failure(address: str, action: Action = Action.FAILED) -> RecipientFailure:
    return RecipientFailure(address=address, action=action, status="5.1.1", reply_code="550",
                            reason=Reason.USERUNKNOWN, hard=True, diagnostic="550 5.1.1 unknown", remote_mta=None)


def stored(n: int, *, sender: str = "news@example.com", kind: Kind = Kind.BOUNCE,
           recipients: tuple[RecipientFailure, ...] | None = None) -> ingest.StoredMessage:
    report = Report(kind=kind, message_id=f"<b{n}@mx>",
                    recipients=recipients if recipients is not None else (failure(f"u{n}@remote.example"),),
                    original=Original(from_address=sender))
    return ingest.StoredMessage(content_hash=content_hash(f"Message-ID: <b{n}@mx>\n\nbody {n}\n".encode()),
                                uid=n, received_at=NOW, size=100, truncated=False, report=report)


def batch(*items: ingest.StoredMessage, last_uid: int = 0, uidvalidity: int = 7) -> ingest.Batch:
    return ingest.Batch(mailbox="pm", folder="INBOX", uidvalidity=uidvalidity,
                        last_uid=last_uid or max((m.uid or 0 for m in items), default=0),
                        scanned_at=NOW, messages=items)


def counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (conn.scalar(select(func.count()).select_from(messages)) or 0,
                conn.scalar(select(func.count()).select_from(bounces)) or 0)


@pytest.mark.parametrize(("sender", "expected"), [
    ("news@example.com", "example.com"),
    ("news@mail.example.com", "example.com"),
    ("NEWS@EXAMPLE.COM.", "example.com"),
    ("news@notexample.com", None),
    ("news@example.com.evil.org", None),
    (None, None),
], ids=["domain", "subdomain", "case-and-dot", "lookalike", "suffix-trick", "no-sender"])
def test_owning_domain(sender: str | None, expected: str | None) -> None:
    assert ingest.owning_domain(Original(from_address=sender), DOMAINS) == expected


def test_owning_domain_falls_back_to_return_path() -> None:
    original = Original(from_address="someone@other.org", return_path="bounces@lists.example.com")
    assert ingest.owning_domain(original, DOMAINS) == "example.com"
    assert ingest.owning_domain(None, DOMAINS) is None


def test_save_batch_records_messages_bounces_and_cursor(engine: Engine) -> None:
    saved = ingest.save_batch(engine, batch(stored(1), stored(2, sender="x@elsewhere.org"),
                                            stored(3, kind=Kind.AUTOREPLY, recipients=())), DOMAINS)
    assert (saved.messages, saved.bounces, saved.bounce_uids) == (3, 2, (1, 2))
    with engine.connect() as conn:
        state = ingest.load_state(conn, "pm", "INBOX")
        domains = sorted(str(d) for d in conn.scalars(select(bounces.c.domain)))
        per_domain = failed_in_window(conn)
    assert state is not None and (state.uidvalidity, state.last_uid) == (7, 3)
    assert domains == ["None", "example.com"]
    assert per_domain == {"example.com": 1}


def test_duplicates_are_recognised_across_and_within_batches(engine: Engine) -> None:
    ingest.save_batch(engine, batch(stored(1), stored(2)), DOMAINS)
    saved = ingest.save_batch(engine, batch(stored(2), stored(3), stored(3), uidvalidity=8), DOMAINS)
    assert (saved.messages, saved.bounces) == (1, 1)
    assert counts(engine) == (3, 3)


def test_delayed_recipients_are_stored_but_not_counted(engine: Engine) -> None:
    message = stored(1, recipients=(failure("a@r.example", Action.DELAYED), failure("b@r.example")))
    saved = ingest.save_batch(engine, batch(message), DOMAINS)
    assert saved.bounces == 1
    assert counts(engine) == (1, 2)


def test_a_failing_batch_leaves_no_trace(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    ingest.save_batch(engine, batch(stored(1)), DOMAINS)

    def refused_row(message_row: int, *_: object) -> list[dict[str, object]]:
        return [{"message_row": message_row, "occurred_at": NOW, "action": "failed", "reason": "x",
                 "hard": True}]  # no recipient: NOT NULL refuses it after the messages went in

    monkeypatch.setattr(ingest, "_bounce_rows", refused_row)
    with pytest.raises(StoreError, match=r"could not record a batch of 'INBOX'.*NOT NULL"):
        ingest.save_batch(engine, batch(stored(2), stored(3), last_uid=9), DOMAINS)
    assert counts(engine) == (1, 1)
    with engine.connect() as conn:
        state = ingest.load_state(conn, "pm", "INBOX")
    assert state is not None and state.last_uid == 1


def test_errors_are_recorded_and_cleared_by_the_next_batch(engine: Engine) -> None:
    later = NOW + timedelta(minutes=2)
    ingest.record_error(engine, "pm", "INBOX", "mailbox 'pm': login refused", NOW)
    ingest.record_error(engine, "pm", "INBOX", "mailbox 'pm': login refused", later)
    with engine.connect() as conn:
        (state,) = ingest.folder_states(conn)
    assert (state.last_error, state.last_error_at) == ("mailbox 'pm': login refused", NOW)
    ingest.record_error(engine, "pm", "INBOX", "mailbox 'pm': timed out", later)
    with engine.connect() as conn:
        assert [s.last_error_at for s in ingest.folder_states(conn)] == [later]
    ingest.save_batch(engine, batch(stored(1)), DOMAINS)
    with engine.connect() as conn:
        (state,) = ingest.folder_states(conn)
    assert state.last_error is None and state.last_error_at is not None


def test_folder_lease_is_exclusive_until_it_expires(engine: Engine) -> None:
    assert ingest.claim_folder(engine, "pm", "INBOX", "a", NOW, NOW + timedelta(minutes=15))
    assert not ingest.claim_folder(engine, "pm", "INBOX", "b", NOW, NOW + timedelta(minutes=15))
    assert ingest.claim_folder(engine, "pm", "INBOX", "b", NOW + timedelta(minutes=16), NOW + timedelta(minutes=30))
    ingest.release_folder(engine, "pm", "INBOX", "b")
    assert ingest.claim_folder(engine, "pm", "INBOX", "a", NOW, NOW + timedelta(minutes=15))


def test_content_hash_ignores_trace_fields_and_line_endings() -> None:
    raw = b"Received: from a\r\n by b\r\nMessage-ID: <1@x>\r\nSubject: s\r\n\r\nbody\r\n"
    moved = b"Delivered-To: pm@example.com\nReturn-Path: <>\nMessage-ID: <1@x>\nSubject: s\n\nbody\n"
    assert content_hash(raw) == content_hash(moved)
    assert content_hash(raw) != content_hash(raw.replace(b"<1@x>", b"<2@x>"))
    assert content_hash(raw) != content_hash(raw, truncated=True)


@pytest.mark.postgres
def test_postgres_batches_cut_hostile_values_and_migrate_concurrently(pg_url: str) -> None:
    engines: list[Engine] = []
    failures: list[BaseException] = []

    def start() -> None:
        try:
            engines.append(open_engine(pg_url))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    engine = engines[0]
    try:
        hostile = stored(1, recipients=(failure("x" * 600 + "\x00@r.example"),))
        saved = ingest.save_batch(engine, batch(hostile, stored(2)), DOMAINS)
        again = ingest.save_batch(engine, batch(stored(2), stored(3)), DOMAINS)
        assert (saved.messages, saved.bounces, again.messages) == (2, 2, 1)
        with engine.connect() as conn:
            longest = conn.scalar(select(func.max(func.length(bounces.c.recipient))))
            per_domain = failed_in_window(conn)
            state = ingest.load_state(conn, "pm", "INBOX")
        assert longest == 512
        assert per_domain == {"example.com": 3}
        assert state is not None and state.last_uid == 3 and state.last_scan_at == NOW
        assert ingest.claim_folder(engine, "pm", "INBOX", "a", NOW, NOW + timedelta(minutes=1))
        assert not ingest.claim_folder(engine, "pm", "INBOX", "b", NOW, NOW + timedelta(minutes=1))
    finally:
        for each in engines:
            each.dispose()
