"""bot/volume/logs: the Postfix and Exim line parsers over a table of real-looking lines, and the
incremental reader over log files in tmp_path that grow, rotate and get truncated between reads."""

from __future__ import annotations

import gzip
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.volume import Collected, FileCursor, VolumeError
from bot.volume.logs import LogKind, LogLine, exim_line, postfix_line, read_logs

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
AT = datetime(2026, 12, 1, 14, 2, tzinfo=UTC)


def qmgr(qid: str, sender: str, *, at: datetime = AT, nrcpt: int = 1, host: str = "mx1") -> str:
    return (f"{at.isoformat(timespec='microseconds')} {host} postfix/qmgr[2211]: {qid}: from=<{sender}>, "
            f"size=4821, nrcpt={nrcpt} (queue active)")


def postfix_message(n: int, sender: str = "news@example.com", *, at: datetime = AT) -> list[str]:
    """The five lines Postfix writes for one message submitted and sent: only the qmgr one counts."""
    qid = f"4F9D{n:06X}"
    stamp = at.isoformat(timespec="microseconds")
    return [
        f"{stamp} mx1 postfix/submission/smtpd[3301]: {qid}: client=app1.example.com[192.0.2.21], "
        f"sasl_method=PLAIN, sasl_username={sender}",
        f"{stamp} mx1 postfix/cleanup[3302]: {qid}: message-id=<{n}.campaign@example.com>",
        qmgr(qid, sender, at=at),
        f"{stamp} mx1 postfix/smtp[3303]: {qid}: to=<reader{n}@example.net>, relay=mx.example.net[198.51.100.7]:25, "
        "delay=0.41, delays=0.05/0.01/0.2/0.15, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 8C1E2A0F3)",
        f"{stamp} mx1 postfix/qmgr[2211]: {qid}: removed",
    ]


def append(path: Path, lines: list[str], *, end: str = "\n") -> None:
    with path.open("a", encoding="utf-8") as log:
        log.write("".join(line + "\n" for line in lines[:-1]) + (lines[-1] + end if lines else ""))


def read(path: Path, cursors: dict[str, FileCursor], *, kind: LogKind = "postfix_log",
         domains: tuple[str, ...] = ("*",), from_start: bool = False) -> tuple[Collected, dict[str, FileCursor]]:
    return read_logs([str(path)], cursors, kind=kind, domains=domains, now=NOW, from_start=from_start)


def total(found: Collected) -> int:
    return sum(found.counts.values())


# ---- the parsers -------------------------------------------------------------------------------

YEAR_REF = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
NEW_YEAR = datetime(2027, 1, 1, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(("line", "year_ref", "expected"), [
    pytest.param("Dec  1 14:02:03 mx1 postfix/qmgr[2211]: 4F9D195432: from=<News@Example.com>, size=1234, "
                 "nrcpt=1 (queue active)", YEAR_REF,
                 LogLine(at=AT, message_id="4F9D195432", sender="news@example.com", host="mx1"), id="accepted"),
    pytest.param("Dec  1 14:02:03 mx1 postfix/qmgr[2211]: 4F9D195432: from=<news@example.com>, size=1234, "
                 "nrcpt=3 (queue active)", YEAR_REF,
                 LogLine(at=AT, message_id="4F9D195432", sender="news@example.com", host="mx1"),
                 id="three-recipients-one-message"),
    pytest.param("Dec  1 14:02:03 mx1 postfix/qmgr[2211]: 5A1B2C3D4E: from=<>, size=3120, nrcpt=1 (queue active)",
                 YEAR_REF, LogLine(at=AT, message_id="5A1B2C3D4E", host="mx1"), id="bounce-from-empty"),
    pytest.param("Dec  1 14:02:04 mx1 postfix/qmgr[2211]: 4F9D195432: removed", YEAR_REF, None, id="removed"),
    pytest.param("Dec  1 14:02:04 mx1 postfix/qmgr[2211]: 4F9D195432: from=<news@example.com>, status=expired, "
                 "returned to sender", YEAR_REF, None, id="qmgr-status-expired"),
    pytest.param("Dec  1 14:02:04 mx1 postfix/smtp[3303]: 4F9D195432: to=<bob@example.net>, "
                 "relay=mx.example.net[198.51.100.7]:25, delay=0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
                 YEAR_REF, None, id="smtp-status-sent"),
    pytest.param("Dec  1 14:02:03 mx1 postfix/cleanup[3302]: 4F9D195432: message-id=<1.campaign@example.com>",
                 YEAR_REF, None, id="cleanup"),
    pytest.param("Dec 01 14:02:59 MX1 postfix-out/qmgr[2211]: 4WkQ2B1x4Kz9tZn: from=<news@example.com>, "
                 "size=1234, nrcpt=2 (queue active)", YEAR_REF,
                 LogLine(at=AT, message_id="4WkQ2B1x4Kz9tZn", sender="news@example.com", host="mx1"),
                 id="second-instance-long-queue-id"),
    pytest.param("2026-12-01T15:02:03.123456+01:00 mx1 postfix/qmgr[2211]: 4F9D195432: from=<news@example.com>, "
                 "size=1234, nrcpt=1 (queue active)", YEAR_REF,
                 LogLine(at=AT, message_id="4F9D195432", sender="news@example.com", host="mx1"), id="iso-stamp"),
    pytest.param("2026-12-01T14:02:03Z mx1 postfix/qmgr[2211]: 4F9D195432: from=<news@example.com>, "
                 "size=1234, nrcpt=1 (queue active)", YEAR_REF,
                 LogLine(at=AT, message_id="4F9D195432", sender="news@example.com", host="mx1"), id="iso-stamp-z"),
    pytest.param("Dec 31 23:59:58 mx1 postfix/qmgr[2211]: 6B7C8D9E0F: from=<news@example.com>, size=1234, "
                 "nrcpt=1 (queue active)", NEW_YEAR,
                 LogLine(at=datetime(2026, 12, 31, 23, 59, tzinfo=UTC), message_id="6B7C8D9E0F",
                         sender="news@example.com", host="mx1"), id="december-read-in-january"),
    pytest.param("Jan  1 00:10:00 mx1 postfix/qmgr[2211]: 7C8D9E0F1A: from=<news@example.com>, size=1234, "
                 "nrcpt=1 (queue active)", NEW_YEAR,
                 LogLine(at=datetime(2027, 1, 1, 0, 10, tzinfo=UTC), message_id="7C8D9E0F1A",
                         sender="news@example.com", host="mx1"), id="january-read-in-january"),
    pytest.param("Dec  1 14:02:03 mx1 dovecot: imap-login: Login: user=<news@example.com>", YEAR_REF, None,
                 id="not-postfix"),
])
def test_postfix_line(line: str, year_ref: datetime, expected: LogLine | None) -> None:
    assert postfix_line(line, year_ref=year_ref, zone=UTC) == expected


EXIM_ID = "1r8XyZ-0001Ab-Cd"


@pytest.mark.parametrize(("line", "expected"), [
    pytest.param(f"2026-12-01 14:02:03 {EXIM_ID} <= News@Example.com H=(app1.example.com) [192.0.2.1] P=esmtpa "
                 "A=dovecot_plain:news@example.com S=1234 id=20261201140203.1@example.com",
                 LogLine(at=AT, message_id=EXIM_ID, sender="news@example.com"), id="received"),
    pytest.param(f"2026-12-01 14:02:03 {EXIM_ID} <= <> R=1r8XyA-0001Aa-Zz U=Debian-exim P=local S=2210",
                 None, id="bounce-from-empty"),
    pytest.param(f"2026-12-01 14:02:05 {EXIM_ID} => bob@example.net R=dnslookup T=remote_smtp "
                 "H=mx.example.net [198.51.100.7] I=[192.0.2.10] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes "
                 'C="250 2.0.0 Ok: queued as 8C1E2A0F3"',
                 LogLine(at=AT, message_id=EXIM_ID, outbound_ip="192.0.2.10"), id="delivered-interface"),
    pytest.param(f"2026-12-01 14:02:05 {EXIM_ID} -> carol@example.net R=dnslookup T=remote_smtp "
                 "H=mx.example.net [198.51.100.7] I=[2001:db8::10] C=\"250 Ok\"",
                 LogLine(at=AT, message_id=EXIM_ID, outbound_ip="2001:db8::10"), id="more-recipients-ipv6"),
    pytest.param(f"2026-12-01 14:02:05 {EXIM_ID} => bob@example.net R=dnslookup T=remote_smtp "
                 "H=mx.example.net [198.51.100.7] C=\"250 Ok\"", None, id="delivered-no-interface"),
    pytest.param(f"2026-12-01 14:02:05 {EXIM_ID} => bob@example.net R=amavis T=amavis_smtp "
                 "H=127.0.0.1 [127.0.0.1] I=[127.0.0.1] C=\"250 Ok\"", None, id="content-filter-loopback"),
    pytest.param(f"2026-12-01 14:02:05 {EXIM_ID} ** nobody@example.net R=dnslookup T=remote_smtp "
                 "H=mx.example.net [198.51.100.7] I=[192.0.2.10]: SMTP error from remote mail server after RCPT "
                 "TO:<nobody@example.net>: 550 5.1.1 User unknown", None, id="failed"),
    pytest.param(f"2026-12-01 14:02:05 {EXIM_ID} == slow@example.org R=dnslookup T=remote_smtp defer (-44) "
                 "H=mx.example.org [203.0.113.9]: SMTP error from remote mail server after RCPT TO: 451 4.7.1 "
                 "Greylisted", None, id="deferred"),
    pytest.param(f"2026-12-01 14:02:06 {EXIM_ID} Completed", None, id="completed"),
    pytest.param("2026-12-01 15:02:03.517 +0100 [4242] 1r8XyZ-000000001Ab-Cd <= news@example.com "
                 "H=(app1.example.com) [192.0.2.1] P=esmtpa S=1234",
                 LogLine(at=AT, message_id="1r8XyZ-000000001Ab-Cd", sender="news@example.com"),
                 id="zone-pid-millisec-long-id"),
    pytest.param("2026-12-01 14:02:03 H=(spammer) [203.0.113.66] F=<x@example.org> rejected RCPT <a@example.com>",
                 None, id="rejected-no-message"),
])
def test_exim_line(line: str, expected: LogLine | None) -> None:
    assert exim_line(line, zone=UTC) == expected


# ---- the reader --------------------------------------------------------------------------------

def test_counts_messages_per_domain_and_sender_once_each(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    later = AT + timedelta(minutes=1)
    append(log, [
        *postfix_message(1), *postfix_message(2, "Alerts@Example.com"), *postfix_message(3, at=later),
        *postfix_message(4, "info@shop.example.org"), *postfix_message(5, "someone@example.net"),
        qmgr("4F9D000009", "news@example.com", nrcpt=3),
        qmgr("4F9D000009", "news@example.com", nrcpt=3),  # a deferred message taken up again: the same one
        qmgr("5A1B2C3D4E", ""),  # a bounce we send
    ])
    found, _ = read(log, {}, domains=("example.com", "*.example.org"), from_start=True)
    assert found.counts == Counter({("example.com", AT): 3, ("example.com", later): 1, ("shop.example.org", AT): 1})
    assert found.senders == Counter({("news@example.com", AT): 2, ("alerts@example.com", AT): 1,
                                     ("news@example.com", later): 1, ("info@shop.example.org", AT): 1})
    assert found.helo_names == {"mx1"}
    assert found.notes == []


def test_exim_log_counts_received_and_reads_our_interface(tmp_path: Path) -> None:
    log = tmp_path / "mainlog"
    append(log, [
        f"2026-12-01 14:02:03 {EXIM_ID} <= news@example.com H=(app1.example.com) [192.0.2.1] P=esmtpa S=1234",
        f"2026-12-01 14:02:05 {EXIM_ID} => bob@example.net R=dnslookup T=remote_smtp H=mx.example.net "
        "[198.51.100.7] I=[192.0.2.10] C=\"250 Ok\"",
        f"2026-12-01 14:02:05 {EXIM_ID} -> carol@example.net R=dnslookup T=remote_smtp H=mx.example.net "
        "[198.51.100.7] I=[192.0.2.10] C=\"250 Ok\"",
        f"2026-12-01 14:02:06 {EXIM_ID} Completed",
        "2026-12-01 14:02:07 1r8XzA-0002Bc-De <= <> R=1r8XyA-0001Aa-Zz U=Debian-exim P=local S=2210",
        "2026-12-01 14:02:09 1r8XzB-0003Cd-Ef <= friend@example.net H=mx.example.net [198.51.100.7] P=esmtps S=900",
    ])
    found, _ = read(log, {}, kind="exim_log", domains=("example.com",), from_start=True)
    assert found.counts == Counter({("example.com", AT): 1})
    assert found.outbound_ips == {"192.0.2.10"}


def test_classic_stamps_take_the_year_from_the_file(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    append(log, [
        "Dec 31 23:59:58 mx1 postfix/qmgr[2211]: 6B7C8D9E0F: from=<news@example.com>, size=1234, nrcpt=1 "
        "(queue active)",
        "Jan  1 00:10:00 mx1 postfix/qmgr[2211]: 7C8D9E0F1A: from=<news@example.com>, size=1234, nrcpt=1 "
        "(queue active)",
    ])
    written = datetime(2027, 1, 1, 12, 0, tzinfo=UTC).timestamp()
    os.utime(log, (written, written))
    found = read_logs([str(log)], {}, kind="postfix_log", domains=("*",), now=datetime(2027, 1, 2, tzinfo=UTC),
                      from_start=True)[0]
    local = [datetime(2026, 12, 31, 23, 59), datetime(2027, 1, 1, 0, 10)]  # syslog writes this machine's time
    assert set(found.counts) == {("example.com", at.astimezone(UTC)) for at in local}


def test_first_sight_starts_at_the_end(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    append(log, [line for n in range(3) for line in postfix_message(n)])
    found, cursors = read(log, {})
    assert total(found) == 0
    assert cursors[str(log)].offset == log.stat().st_size
    assert total(read(log, {}, from_start=True)[0]) == 3


def test_appended_lines_only_are_counted(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    append(log, postfix_message(1))
    cursors = read(log, {})[1]
    append(log, [*postfix_message(2), *postfix_message(3)])
    found, cursors = read(log, cursors)
    assert total(found) == 2
    assert total(read(log, cursors)[0]) == 0
    append(log, postfix_message(4))
    assert total(read(log, cursors)[0]) == 1


def test_a_partial_last_line_is_completed_next_read(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    cursors = read(log, {})[1]
    line = qmgr("4F9D000001", "zoë@example.com").encode()
    cut = line.index("ë".encode()) + 1  # inside the two bytes of "ë"
    with log.open("ab") as out:
        out.write(line[:cut])
    found, cursors = read(log, cursors)
    assert total(found) == 0
    assert cursors[str(log)].partial == line[:cut - 1].decode()
    with log.open("ab") as out:
        out.write(line[cut:] + b"\n")
    found, cursors = read(log, cursors)
    assert found.senders == Counter({("zoë@example.com", AT): 1})
    assert cursors[str(log)].partial == ""


def rotate_by_rename(log: Path, suffix: str) -> None:
    """logrotate's default: rename (the daemon writes on into the renamed file until told), compress."""
    plain = log.with_name(log.name + suffix.removesuffix(".gz"))
    log.rename(plain)
    append(plain, postfix_message(12))  # written by the daemon after the rename, before it reopened
    if suffix.endswith(".gz"):
        with plain.open("rb") as source, gzip.open(log.with_name(log.name + suffix), "wb") as target:
            shutil.copyfileobj(source, target)
        plain.unlink()


def rotate_by_copy(log: Path, suffix: str) -> None:
    """logrotate's copytruncate: copy, then truncate the live file in place."""
    append(log, postfix_message(12))
    shutil.copyfile(log, log.with_name(log.name + suffix))
    with log.open("r+b") as live:
        live.truncate(0)


@pytest.mark.parametrize(("rotate", "suffix"), [
    pytest.param(rotate_by_rename, ".1", id="renamed-.1"),
    pytest.param(rotate_by_rename, ".1.gz", id="renamed-.1.gz"),
    pytest.param(rotate_by_rename, "-20261201", id="renamed-dated"),
    pytest.param(rotate_by_rename, "-20261201.gz", id="renamed-dated.gz"),
    pytest.param(rotate_by_copy, ".1", id="copytruncate"),
])
def test_rotation_mid_scan_counts_every_message_once(tmp_path: Path, rotate: Callable[[Path, str], None],
                                                     suffix: str) -> None:
    log = tmp_path / "mail.log"
    append(log, [line for n in range(20) for line in postfix_message(100 + n)])  # > 1 KiB: a real fingerprint
    cursors = read(log, {})[1]
    append(log, postfix_message(11))
    rotate(log, suffix)
    append(log, [*postfix_message(13), *postfix_message(14)])
    found, cursors = read(log, cursors)
    assert sorted(sender for sender, _ in found.senders.elements()) == ["news@example.com"] * 4
    assert total(found) == 4
    assert len(found.notes) == 1 and f"finished mail.log{suffix} from byte" in found.notes[0]
    assert cursors[str(log)].offset == log.stat().st_size
    append(log, postfix_message(15))
    assert total(read(log, cursors)[0]) == 1


def test_a_rotated_file_not_found_is_noted(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    append(log, postfix_message(1))
    cursors = read(log, {})[1]
    log.rename(tmp_path / "old-mail.log")
    append(log, postfix_message(2))
    found, _ = read(log, cursors)
    assert total(found) == 1
    assert found.notes == [f"{log} was rotated and the old file is not among mail.log.1, .1.gz, -YYYYMMDD(.gz): "
                           f"what it got after byte {cursors[str(log)].offset} is not counted; read the new file "
                           "from its start"]


@pytest.mark.parametrize("messages_after", [pytest.param(2, id="shorter"), pytest.param(30, id="longer")])
def test_a_file_truncated_and_rewritten_is_read_from_its_start(tmp_path: Path, messages_after: int) -> None:
    log = tmp_path / "mail.log"
    append(log, [line for n in range(10) for line in postfix_message(n)])
    cursors = read(log, {})[1]
    with log.open("w", encoding="utf-8") as rewritten:  # the same inode, other content
        rewritten.write("".join(line + "\n" for n in range(messages_after) for line in postfix_message(500 + n)))
    found, cursors = read(log, cursors)
    assert found.notes == [f"{log} was truncated: read again from its start"]
    assert total(found) == messages_after
    assert total(read(log, cursors)[0]) == 0


def test_a_missing_file_raises_naming_it(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    with pytest.raises(VolumeError) as raised:
        read(log, {})
    assert str(raised.value) == f"cannot read {log}: No such file or directory"


def test_200000_lines_in_under_2_seconds(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    stamps = [AT + timedelta(seconds=s) for s in range(0, 3600, 9)]
    with log.open("w", encoding="utf-8") as out:
        for n in range(40_000):  # five lines a message
            out.write("\n".join(postfix_message(n, f"sender{n % 50}@example.com", at=stamps[n % len(stamps)])) + "\n")
    started = time.perf_counter()
    found, _ = read(log, {}, domains=("example.com",), from_start=True)
    took = time.perf_counter() - started
    print(f"\n200,000 Postfix lines ({log.stat().st_size / 1e6:.1f} MB) read in {took:.2f} s")
    assert total(found) == 40_000
    assert took < 2


def test_a_deferred_message_retried_in_a_later_read_is_one_message(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    log.write_text("")
    _, cursors = read(log, {})
    stamp = AT.isoformat(timespec="microseconds")
    append(log, [qmgr("4F9DAAAAAA", "news@example.com"),
                 f"{stamp} mx1 postfix/smtp[3303]: 4F9DAAAAAA: to=<a@slow.example.net>, relay=none, delay=30, "
                 "dsn=4.4.1, status=deferred (connect to mx.slow.example.net[198.51.100.9]:25: Connection timed out)"])
    found, cursors = read(log, cursors)
    assert total(found) == 1
    later = AT + timedelta(minutes=15)
    append(log, [qmgr("4F9DAAAAAA", "news@example.com", at=later),  # qmgr takes it up again: a retry
                 f"{later.isoformat()} mx1 postfix/qmgr[2211]: 4F9DAAAAAA: removed"])
    found, cursors = read(log, cursors)
    assert total(found) == 0, "a retry is not one more message sent"
    append(log, [qmgr("4F9DAAAAAA", "other@example.com", at=later + timedelta(days=3))])  # the id, reused
    found, _ = read(log, cursors)
    assert total(found) == 1


# ---- review 16 ---------------------------------------------------------------------------------


def test_the_configured_zone_dates_stamps_without_an_offset(tmp_path: Path) -> None:
    """A log written in Europe/Berlin read on a UTC host: 15:02 there is 14:02 UTC."""
    from zoneinfo import ZoneInfo

    log = tmp_path / "mail.log"
    log.touch()
    _, cursors = read(log, {})
    append(log, ["2026-12-01T15:02:03 mx1 postfix/qmgr[2211]: 4F9D195432: from=<news@example.com>, size=1, "
                 "nrcpt=1 (queue active)"])
    found, _ = read_logs([str(log)], cursors, kind="postfix_log", domains=("*",), now=NOW,
                         zone=ZoneInfo("Europe/Berlin"))
    assert dict(found.counts) == {("example.com", AT): 1}
    exim = tmp_path / "exim.log"
    exim.write_text("2026-12-01 15:02:03 1r8XyZ-0001Ab-Cd <= news@example.com H=x [192.0.2.1]\n")
    found, _ = read_logs([str(exim)], {}, kind="exim_log", domains=("*",), now=NOW, from_start=True,
                         zone=ZoneInfo("Europe/Berlin"))
    assert dict(found.counts) == {("example.com", AT): 1}


@pytest.mark.parametrize("client", ["localhost[127.0.0.1]", "localhost[::1]", "unknown[IPv6:::1]"])
def test_a_message_reinjected_over_loopback_is_counted_once(tmp_path: Path, client: str) -> None:
    """amavis (or postfix-in handing to postfix-out) gives the message back under a new queue id."""
    log = tmp_path / "mail.log"
    stamp = AT.isoformat()
    append(log, [
        qmgr("4F9D195432", "news@example.com"),
        f"{stamp} mx1 postfix/smtp[12]: 4F9D195432: to=<a@remote.org>, relay=127.0.0.1[127.0.0.1]:10024, "
        "status=sent (250 2.0.0 Ok: queued as 5A0B1C2D3E)",
        f"{stamp} mx1 postfix/qmgr[2211]: 4F9D195432: removed",
        f"{stamp} mx1 postfix-out/smtpd[99]: 5A0B1C2D3E: client={client}",
        qmgr("5A0B1C2D3E", "news@example.com"),
        f"{stamp} mx1 postfix/submission/smtpd[98]: 6B1C2D3E4F: client=app1.example.com[192.0.2.21]",
        qmgr("6B1C2D3E4F", "news@example.com"),
    ])
    found, _ = read(log, {}, from_start=True)
    assert total(found) == 2, "the first message and the app's; not amavis's copy"


@pytest.mark.parametrize("line", [
    "0001-01-01T00:00:00+01:00 mx1 postfix/qmgr[1]: ABC: from=<a@example.com>, size=1, nrcpt=1 (queue active)",
    "9999-12-31T23:59:00-01:00 mx1 postfix/qmgr[1]: ABC: from=<a@example.com>, size=1, nrcpt=1 (queue active)",
], ids=["year-1", "year-9999"])
def test_a_stamp_past_what_a_datetime_holds_is_not_a_line(line: str) -> None:
    assert postfix_line(line, year_ref=YEAR_REF) is None
    assert exim_line("9999-12-31 23:59:00 -0100 1r8XyZ-0001Ab-Cd <= a@example.com H=x") is None


def test_an_application_submitting_on_localhost_is_counted(tmp_path: Path) -> None:
    """A loopback client that no delivery to a filter names is an application's own mail, not a filter's copy."""
    log = tmp_path / "mail.log"
    stamp = AT.isoformat()
    append(log, [f"{stamp} mx1 postfix/smtpd[98]: 7C2D3E4F5A: client=localhost[127.0.0.1]",
                 qmgr("7C2D3E4F5A", "orders@example.com")])
    found, _ = read(log, {}, from_start=True)
    assert total(found) == 1
