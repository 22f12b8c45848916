"""Sent volume from an IMAP Sent folder, against a real Dovecot: per domain and minute, incremental, read-only."""

from __future__ import annotations

import contextlib
import ssl
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from imapclient import IMAPClient

from bot.config import MailboxSettings
from bot.volume import Collected, VolumeError
from bot.volume.sent_folder import count_sent
from tests.servers.dovecot import Dovecot, dovecot

__all__ = ["dovecot"]

pytestmark = pytest.mark.dovecot

SINCE = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 1, 13, 0, tzinfo=UTC)
NOON, PAST_NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC), datetime(2026, 3, 1, 12, 1, tzinfo=UTC)
PATTERNS = ("example.com", "*.example")


def box_for(server: Dovecot, **overrides: Any) -> MailboxSettings:
    values: dict[str, Any] = {
        "name": "sent", "host": "127.0.0.1", "port": server.imaps_port, "ca_file": server.ca_file,
        "username": server.user, "password_env": "TEST_IMAP_PW"}
    return MailboxSettings(**(values | overrides))


def env(server: Dovecot) -> dict[str, str]:
    return {"TEST_IMAP_PW": server.password}


@contextlib.contextmanager
def admin(server: Dovecot) -> Iterator[IMAPClient]:
    """The test user's own IMAP session (tests/mail/test_imap.py has the same; tests may not import tests)."""
    with IMAPClient("127.0.0.1", port=server.imaps_port, timeout=5,
                    ssl_context=ssl.create_default_context(cafile=server.ca_file)) as client:
        client.login(server.user, server.password)
        yield client


def sent(sender: str, n: int) -> bytes:
    return (f"From: {sender}\r\nTo: reader{n}@customer.example.org\r\nSubject: Newsletter {n}\r\n"
            f"Message-ID: <{n}@example.com>\r\nDate: Sun, 1 Mar 2026 12:00:00 +0000\r\n\r\nHello {n}.\r\n").encode()


def append(server: Dovecot, mail: list[tuple[str, datetime]], folder: str = "Sent") -> None:
    """APPEND each (From header, INTERNALDATE) to the folder, creating it on first use."""
    with admin(server) as client:
        if not client.folder_exists(folder):
            client.create_folder(folder)
        for n, (sender, when) in enumerate(mail):
            client.append(folder, sent(sender, n), msg_time=when)


def two_minutes_of_mail() -> list[tuple[str, datetime]]:
    news = [("news@example.com", NOON + timedelta(seconds=2 * n)) for n in range(20)]
    news += [("News Letter <NEWS@Example.COM>", PAST_NOON + timedelta(seconds=5 * n)) for n in range(10)]
    other = [("other@else.example", NOON + timedelta(seconds=50 + n)) for n in range(3)]
    other += [('"Other, Dept." <other@else.example>', PAST_NOON + timedelta(seconds=30 + n)) for n in range(2)]
    return news + other


def by_domain(collected: Collected) -> dict[tuple[str, datetime], int]:
    return dict(collected.counts)


def test_counts_per_domain_and_minute_then_only_new_mail(dovecot: Dovecot) -> None:
    append(dovecot, [*two_minutes_of_mail(),
                     ("someone@elsewhere.org", NOON),  # not one of ours
                     ("news@example.com", SINCE - timedelta(days=2)),  # before `since`
                     ("undisclosed-recipients:;", NOON)])  # no address to count
    box = box_for(dovecot)

    first, cursor = count_sent(box, "Sent", PATTERNS, SINCE, NOW, env(dovecot), seen_uid=None)

    assert by_domain(first) == {("example.com", NOON): 20, ("example.com", PAST_NOON): 10,
                                ("else.example", NOON): 3, ("else.example", PAST_NOON): 2}
    assert first.senders == Counter({("news@example.com", NOON): 20, ("news@example.com", PAST_NOON): 10,
                                     ("other@else.example", NOON): 3, ("other@else.example", PAST_NOON): 2})
    assert first.notes == ["sent folder 'Sent': 1 message(s) without a sender address in From were not counted"]
    validity, _, last = cursor.partition(":")
    assert validity.isdigit() and last == "38"

    again, same = count_sent(box, "Sent", PATTERNS, SINCE, NOW, env(dovecot), seen_uid=cursor)
    assert (by_domain(again), same) == ({}, cursor)

    later = NOW + timedelta(minutes=2, seconds=7)  # dated after `now`: counted in now's minute
    append(dovecot, [("news@example.com", NOW + timedelta(seconds=n)) for n in range(4)] +
           [("other@else.example", later)])
    second, moved = count_sent(box, "Sent", PATTERNS, SINCE, NOW, env(dovecot), seen_uid=cursor)
    assert by_domain(second) == {("example.com", NOW): 4, ("else.example", NOW): 1}
    assert moved == f"{validity}:43"


def test_the_folder_is_examined_not_selected(dovecot: Dovecot) -> None:
    append(dovecot, two_minutes_of_mail())
    box = box_for(dovecot, archive_folder="Archive")  # which makes the scanner SELECT; this reader still EXAMINEs
    count_sent(box, "Sent", PATTERNS, SINCE, NOW, env(dovecot), seen_uid=None)
    with admin(dovecot) as client:
        client.select_folder("Sent", readonly=True)
        flags = client.get_flags(client.search(["ALL"]))
        archived = client.folder_exists("Archive")
    # A SELECT would have taken \Recent from every message; EXAMINE leaves it to the next session.
    assert len(flags) == 35 and all(f == (b"\\Recent",) for f in flags.values())
    assert not archived


def test_a_rebuilt_folder_is_counted_again_since_since(dovecot: Dovecot) -> None:
    append(dovecot, two_minutes_of_mail())
    box = box_for(dovecot)
    _, cursor = count_sent(box, "Sent", PATTERNS, SINCE, NOW, env(dovecot), seen_uid=None)
    with admin(dovecot) as client:  # same mail, new UIDs, new UIDVALIDITY
        client.delete_folder("Sent")
    append(dovecot, two_minutes_of_mail()[:6])

    again, moved = count_sent(box, "Sent", PATTERNS, SINCE, NOW, env(dovecot), seen_uid=cursor)

    assert by_domain(again) == {("example.com", NOON): 6}
    (note,) = again.notes
    assert note.startswith(f"sent folder 'Sent': UIDVALIDITY changed from {cursor.partition(':')[0]} to ")
    assert moved.endswith(":6") and moved.partition(":")[0] != cursor.partition(":")[0]


def test_a_cursor_not_understood_is_read_again_with_a_note(dovecot: Dovecot) -> None:
    append(dovecot, two_minutes_of_mail())
    collected, cursor = count_sent(box_for(dovecot), "Sent", PATTERNS, SINCE, NOW, env(dovecot), seen_uid="35")
    assert sum(collected.counts.values()) == 35 and cursor.endswith(":35")
    assert collected.notes == ["sent folder 'Sent': cursor '35' not understood; read again since 2026-03-01"]


def test_a_missing_folder_is_a_volume_error(dovecot: Dovecot) -> None:
    with pytest.raises(VolumeError) as caught:
        count_sent(box_for(dovecot), "Sent", PATTERNS, SINCE, NOW, env(dovecot), seen_uid=None)
    assert str(caught.value).startswith(f"sent folder 'Sent': mailbox 'sent': 127.0.0.1:{dovecot.imaps_port} "
                                        "refused opening folder 'Sent'")


def test_a_local_mailbox_is_refused() -> None:
    box = MailboxSettings(name="maildir", path="/var/mail/sent")
    with pytest.raises(VolumeError, match="mailbox 'maildir' is a local '/var/mail/sent', not IMAP"):
        count_sent(box, "Sent", PATTERNS, SINCE, NOW, {}, seen_uid=None)


def test_a_wrong_password_is_a_volume_error(dovecot: Dovecot) -> None:
    append(dovecot, two_minutes_of_mail())
    with pytest.raises(VolumeError) as caught:
        count_sent(box_for(dovecot), "Sent", PATTERNS, SINCE, NOW, {"TEST_IMAP_PW": "nope"}, seen_uid=None)
    assert str(caught.value).startswith(f"sent folder 'Sent': mailbox 'sent': 127.0.0.1:{dovecot.imaps_port} "
                                        f"refused the login of '{dovecot.user}'")


def test_the_volume_job_reads_a_sent_folder_into_the_rate(dovecot: Dovecot, tmp_path: Any) -> None:
    """Through the job and the store, as the bot runs it: the folder's count is the rate's sent side."""
    from bot.config import settings_from_mapping
    from bot.store.database import open_engine
    from bot.store.figures import read_volumes
    from bot.volume.job import collect_volumes

    now = datetime.now(UTC).replace(microsecond=0)
    append(dovecot, [("news@example.com", now - timedelta(minutes=10 + n % 30)) for n in range(150)])
    settings = settings_from_mapping({
        "mailboxes": [{"name": "sent", "host": "127.0.0.1", "port": dovecot.imaps_port, "ca_file": dovecot.ca_file,
                       "username": dovecot.user, "password_env": "TEST_IMAP_PW"}],
        "monitor": {"domains": ["example.com"], "window": "1h"},
        "volume": [{"name": "sent-folder", "kind": "imap_sent", "mailbox": "sent", "folder": "Sent"}],
    })
    engine = open_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    try:
        assert collect_volumes(engine, settings, env(dovecot), now) == []
        assert collect_volumes(engine, settings, env(dovecot), now + timedelta(seconds=30)) == []  # nothing new
        with engine.connect() as conn:
            volume = read_volumes(conn, ["example.com"], now + timedelta(seconds=30), settings)["example.com"]
        assert not isinstance(volume, str) and volume.sent == 150 and volume.sources == ("sent-folder",)
        [error] = collect_volumes(engine, settings, {"TEST_IMAP_PW": "wrong"}, now + timedelta(minutes=1))
        assert error.startswith("volume source sent-folder:")
    finally:
        engine.dispose()
