"""`bouncecheck scan --once [--json]`: the summary contract of DESIGN.md, over IMAP and local sources."""

from __future__ import annotations

import io
import json
import mailbox
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings, settings_from_mapping
from bot.scan import run_scan
from tests import mailgen
from tests.servers.dovecot import Dovecot, dovecot
from tests.servers.postgres import pg_url

__all__ = ["dovecot", "pg_url"]


def settings(tmp_path: Path, mailboxes: list[dict[str, Any]], url: str | None = None) -> Settings:
    return settings_from_mapping({
        "storage": {"url": url or f"sqlite:///{tmp_path / 'scan.db'}"},
        "mailboxes": mailboxes,
        "monitor": {"domains": ["example.com", "example.net"], "window": "1h", "alert_bounces": 3},
    })


def imap_box(server: Dovecot) -> dict[str, Any]:
    return {"name": "postmaster", "host": "127.0.0.1", "port": server.imaps_port, "ca_file": server.ca_file,
            "username": server.user, "password_env": "TEST_SCAN_PW", "folders": ["INBOX"]}


def scan(config: Settings, *, as_json: bool = True) -> tuple[int, str]:
    out = io.StringIO()
    code = run_scan(config, once=True, as_json=as_json, out=out)
    return code, out.getvalue()


@pytest.mark.dovecot
def test_scan_once_json_summary(dovecot: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_SCAN_PW", dovecot.password)
    for raw, _ in mailgen.mixed(6):  # 3 bounces of mail from example.com, 3 other messages
        dovecot.deliver(raw)
    config = settings(tmp_path, [imap_box(dovecot), {"name": "archive", "path": str(tmp_path / "missing")}])

    code, out = scan(config)

    assert code == 1  # one mailbox failed; the other was scanned all the same
    summary = json.loads(out)
    assert summary["mailboxes"][0] == {"name": "postmaster", "folder": "INBOX", "new_messages": 6,
                                       "bounces": 3, "errors": []}
    (archive,) = summary["mailboxes"][1:]
    assert archive["name"] == "archive" and "does not exist" in archive["errors"][0]
    assert summary["domains"] == [
        {"domain": "example.com", "bounces_in_window": 3, "threshold": 3, "delayed_in_window": 0},
        {"domain": "example.net", "bounces_in_window": 0, "threshold": 3, "delayed_in_window": 0}]
    # alert_bounces reached: the monitor's step opened the incident in the same pass
    assert [(i["domain"], i["state"]) for i in summary["incidents"]] == [("example.com", "open")]

    code, out = scan(config.model_copy(update={"mailboxes": config.mailboxes[:1]}), as_json=False)
    assert code == 0
    assert "postmaster INBOX: 0 new messages, 0 bounces" in out
    assert "example.com: 3 bounces in the last 1h (threshold 3)  ABOVE THRESHOLD" in out


def test_local_maildir_and_mbox_sources_count_each_message_once(tmp_path: Path) -> None:
    maildir = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    mbox = mailbox.mbox(str(tmp_path / "bounces.mbox"), create=True)
    for _ in range(2):
        maildir.add(mailgen.dsn(sender="news@mail.example.net"))
        mbox.add(mailgen.exim(sender="alerts@example.com"))
    mbox.add(mailgen.plain())
    mbox.close()
    config = settings(tmp_path, [{"name": "maildir", "path": str(tmp_path / "Maildir")},
                                 {"name": "mbox", "path": str(tmp_path / "bounces.mbox")}])

    first = json.loads(scan(config)[1])
    maildir.add(mailgen.dsn(sender="news@example.net"))
    second = json.loads(scan(config)[1])

    assert [(m["name"], m["new_messages"], m["bounces"]) for m in first["mailboxes"]] == [
        ("maildir", 2, 2), ("mbox", 3, 2)]
    assert [(m["name"], m["new_messages"]) for m in second["mailboxes"]] == [("maildir", 1), ("mbox", 0)]
    assert {d["domain"]: d["bounces_in_window"] for d in second["domains"]} == {
        "example.com": 2, "example.net": 3}


@pytest.mark.postgres
@pytest.mark.dovecot
def test_scan_on_postgresql(dovecot: Dovecot, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_SCAN_PW", dovecot.password)
    for _ in range(4):
        dovecot.deliver(mailgen.dsn())
    config = settings(tmp_path, [imap_box(dovecot)], url=pg_url)
    first, second = json.loads(scan(config)[1]), json.loads(scan(config)[1])
    assert first["mailboxes"][0]["new_messages"] == 4 and second["mailboxes"][0]["new_messages"] == 0
    assert first["domains"][0] == {"domain": "example.com", "bounces_in_window": 4, "threshold": 3,
                                  "delayed_in_window": 0}


def test_a_folder_another_live_process_holds_is_reported_as_skipped(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from bot.store.database import open_engine
    from bot.store.ingest import claim_folder

    maildir = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    maildir.add(mailgen.dsn(sender="news@example.com"))
    config = settings(tmp_path, [{"name": "maildir", "path": str(tmp_path / "Maildir")}])
    engine = open_engine(config.storage.url)
    now = datetime.now(UTC)
    holder = "other-host:4242/1"  # another machine: alive as far as this one can tell
    # A local store's one folder is named by its path.
    assert claim_folder(engine, "maildir", str(tmp_path / "Maildir"), holder, now, now + timedelta(minutes=5))
    engine.dispose()

    code, out = scan(config)
    assert code == 0  # skipping is no failure; it is said
    [box] = json.loads(out)["mailboxes"]
    assert (box["new_messages"], box["skipped"]) == (0, holder)
    assert "skipped: being scanned by other-host:4242/1" in scan(config, as_json=False)[1]
