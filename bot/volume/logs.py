"""Sent volume from Postfix and Exim log files, read incrementally; the volume job calls `read_logs`.

`postfix_line` and `exim_line` are pure: one line in, a `LogLine` (or None, "not a line we count") out.
`read_logs` follows each live file from its `FileCursor`: lines appended since, a file truncated in place,
a file rotated away (mail.log → mail.log.1, .1.gz, -YYYYMMDD, -YYYYMMDD.gz) finished before the new one.
A deferred Postfix message is counted once: qmgr's line at each retry is not a new message (the ids
deferred and not yet removed travel in the cursor). A message a content filter (amavis) or a second
instance hands back is not counted again: it comes from a loopback client, and the delivery to the
filter names it ("… relay=127.0.0.1[127.0.0.1]:10024 … queued as 5A0B1C2D3E"). A message from a
loopback client that no such delivery names (an application submitting on localhost) is counted.
"""

from __future__ import annotations

import codecs
import dataclasses
import glob
import gzip
import hashlib
import ipaddress
import os
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO, Literal

from bot.routing import matches
from bot.volume import Collected, FileCursor, VolumeError

__all__ = ["LogLine", "exim_line", "postfix_line", "read_logs"]

LogKind = Literal["postfix_log", "exim_log"]

_CHUNK = 1 << 20  # bytes read at a time: memory stays flat whatever the file's size
_FINGERPRINT = 1024  # bytes hashed to tell a file rewritten in place from the one we read
MAX_DEFERRED = 20_000  # queue ids carried from one read to the next (a day's deferrals on a busy relay)
_LONGEST_LINE = 64 * 1024  # a "line" longer than this is not a log line: dropped, not kept in memory
_MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)}


@dataclass(frozen=True, slots=True, kw_only=True)
class LogLine:
    """What one log line tells the volume count.

    `sender` is set (lower-cased) on a message accepted for delivery, and empty on a bounce we send
    (`from=<>`); `host` is the syslog hostname, a candidate for our HELO name; `outbound_ip` is our
    interface on an Exim delivery."""

    at: datetime  # UTC, second 0
    message_id: str = ""  # Postfix queue id, Exim message id
    sender: str = ""
    host: str = ""
    outbound_ip: str = ""


# Syslog's own stamp, no year and local time: "Dec  1 14:02:03 mx1 …", "Dec 01 14:02:03 mx1 …"
CLASSIC = re.compile(r"(?P<month>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) (?P<hour>\d\d):(?P<minute>\d\d):\d\d(?:\.\d+)? ")
# rsyslog's RSYSLOG_FileFormat and journald exports: "2026-12-01T14:02:03.123456+01:00 mx1 …"
ISO = re.compile(r"(?P<minute>\d{4}-\d\d-\d\dT\d\d:\d\d):\d\d(?:\.\d+)?(?P<offset>Z|[+-]\d\d:?\d\d)? ")
# "mx1 postfix/qmgr[123]: 4F9D195432: from=<news@example.com>, size=1234, nrcpt=3 (queue active)";
# "postfix-out/qmgr" is a second instance (its syslog_name). Not new messages, so not matched:
# "4F9D195432: removed", "4F9D195432: from=<news@example.com>, status=expired, returned to sender"
POSTFIX_ACCEPTED = re.compile(r"(?P<host>\S+) [\w.-]+/qmgr\[\d+\]: (?P<id>[0-9A-Za-z]+): "
                              r"from=<(?P<sender>[^>]*)>, size=\d+, nrcpt=\d+ \(queue active\)")
# "2026-12-01 14:02:03 1r8XyZ-0001Ab-Cd <= news@example.com H=(helo) [192.0.2.1] P=esmtpa S=1234 id=…"
# "2026-12-01 14:02:03.123 +0100 [4242] 1r8XyZ-000000001Ab-Cd <= …" (log_selector +millisec and +pid,
# log_timezone = true; Exim 4.97 and later write the longer message ids)
# "… 1r8XyZ-0001Ab-Cd => bob@remote.org R=dnslookup T=remote_smtp H=mx.remote [198.51.100.7] I=[192.0.2.10] …"
# "->" is a further address of the same delivery; "**" (failed), "==" (deferred), "*>" are not matched
EXIM = re.compile(r"(?P<minute>\d{4}-\d\d-\d\d \d\d:\d\d):\d\d(?:\.\d+)?(?: (?P<offset>[+-]\d{4}))?(?: \[\d+\])? "
                  r"(?P<id>[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}) (?P<flag><=|=>|->) (?P<address>\S+)")
# "mx1 postfix/smtp[12]: 4F9D195432: to=<a@remote.org>, relay=…, status=deferred (…)" and
# "mx1 postfix/qmgr[123]: 4F9D195432: removed": a retry to come, and the end of a message's life
POSTFIX_DEFERRED = re.compile(r"(?P<host>\S+) [\w.-]+/\w+\[\d+\]: (?P<id>[0-9A-Za-z]+): .*\bstatus=deferred\b")
POSTFIX_REMOVED = re.compile(r"(?P<host>\S+) [\w.-]+/qmgr\[\d+\]: (?P<id>[0-9A-Za-z]+): removed\s*$")
# "mx1 postfix/smtpd[99]: 5A0B1C2D3E: client=localhost[127.0.0.1]" (also "postfix-out/smtpd", "[::1]"):
# amavis, or the first instance, handing back a message Postfix already counted
POSTFIX_CLIENT = re.compile(r"(?P<host>\S+) [\w.-]+(?:/[\w.-]+)*/smtpd\[\d+\]: (?P<id>[0-9A-Za-z]+): "
                            r"client=[^\[\s]*\[(?P<ip>[^\]]+)\]")
# "mx1 postfix/smtp[12]: 4F9D195432: to=<a@remote.org>, relay=127.0.0.1[127.0.0.1]:10024, …, status=sent
# (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 5A0B1C2D3E)": the filter's copy
POSTFIX_HANDED_BACK = re.compile(r"(?P<host>\S+) [\w.-]+(?:/[\w.-]+)*/(?:smtp|lmtp)\[\d+\]: [0-9A-Za-z]+: .*?"
                                 r"relay=[^\[\s]*\[(?P<ip>[^\]]+)\].*\bqueued as (?P<id>[0-9A-Za-z]+)")
# "I=[192.0.2.10]" on a delivery (log_selector +outgoing_interface): the interface we sent from
INTERFACE = re.compile(r" I=\[(?P<ip>[0-9A-Fa-f:.]+)\]")


def postfix_line(line: str, *, year_ref: datetime, zone: tzinfo | None = None) -> LogLine | None:
    """The qmgr line of a message Postfix accepted for delivery, or None for any other line.

    One message sent to several recipients (nrcpt=3) is one message: volume counts MESSAGES, like the
    bounces it is compared with. `year_ref` (aware) dates a syslog stamp that has no year: the latest
    moment the line can be from (the file's mtime), so "Dec 31" read in January is last year's.
    `zone` is the log's local time zone; None: this machine's."""
    if "/qmgr[" not in line or " nrcpt=" not in line:
        return None  # most lines: the cheap test first
    stamp = ISO.match(line) or CLASSIC.match(line)
    found = POSTFIX_ACCEPTED.match(line, stamp.end()) if stamp else None
    if stamp is None or found is None:
        return None
    if stamp.re is ISO:
        at = _minute(stamp["minute"], stamp["offset"] or "", zone)
    else:
        at = _classic_minute(stamp["month"], int(stamp["day"]), int(stamp["hour"]), int(stamp["minute"]),
                             year_ref, zone)
    if at is None:
        return None
    return LogLine(at=at, message_id=found["id"], sender=found["sender"].lower(), host=found["host"].lower())


def exim_line(line: str, *, zone: tzinfo | None = None) -> LogLine | None:
    """A message Exim received for delivery (`<=`), or our interface on a delivery (`=>`, `->`, with
    `I=[ip]`); None for any other line, a bounce we send (`<= <>`) and a delivery over loopback."""
    found = EXIM.match(line)
    if found is None:
        return None
    at = _minute(found["minute"], found["offset"] or "", zone)
    if at is None:
        return None
    if found["flag"] == "<=":
        sender = found["address"]
        if sender == "<>":
            return None
        return LogLine(at=at, message_id=found["id"], sender=sender.lower())
    interface = INTERFACE.search(line, found.end())
    if interface is None or not _outbound(interface["ip"]):
        return None
    return LogLine(at=at, message_id=found["id"], outbound_ip=interface["ip"])


def read_logs(paths: Sequence[str], cursors: dict[str, FileCursor], *, kind: LogKind, domains: Sequence[str],
              now: datetime, from_start: bool = False, zone: tzinfo | None = None,
              ) -> tuple[Collected, dict[str, FileCursor]]:
    """What the log files say since their cursors, and the cursors to pass next time (one per path).

    A file seen for the first time is read from its END: what it held before is history, not mail sent
    since the last read (`from_start=True` reads it all). Only senders whose domain matches `domains`
    are counted, so these should name our own domains: the logs hold the mail we receive too. A message
    is counted once, also when qmgr takes a deferred one up again in a later read. `now` (aware) bounds
    the year of a stamp that has none; `zone` is the logs' time zone for stamps without an offset (None:
    this machine's). A missing or unreadable file raises VolumeError, and no cursor moves."""
    tally = _Tally(domains, deferred=[key for c in cursors.values() for key in c.deferred])
    moved = {path: _follow(Path(path), cursors.get(path), kind=kind, now=now, from_start=from_start, tally=tally,
                           zone=zone) for path in paths}
    tally.finish()
    deferred = tally.still_deferred()
    return tally.collected, {path: dataclasses.replace(c, deferred=deferred) for path, c in moved.items()}


class _Tally:
    """Adds what the lines say to one `Collected`: each message once, only the source's domains."""

    def __init__(self, domains: Sequence[str], *, deferred: Sequence[str] = ()) -> None:
        self.collected = Collected()
        self._domains = tuple(domains)
        self._wanted: dict[str, bool] = {}
        self._seen: set[tuple[str, str]] = {(host, qid) for host, _, qid in (key.partition(" ") for key in deferred)}
        self._deferred: dict[str, None] = dict.fromkeys(deferred)
        self._loopback: set[tuple[str, str]] = set()  # queue ids smtpd took from a loopback client
        self._held: dict[tuple[str, str], LogLine] = {}  # their qmgr lines, until the read ends
        self._handed_back: set[tuple[str, str]] = set()  # queue ids a delivery to a local filter named

    def deferred_line(self, text: str) -> None:
        """A Postfix line saying a message waits for a retry, or is gone: its retries are not new mail."""
        if " status=deferred" in text and (found := POSTFIX_DEFERRED.search(text)):
            key = f"{found['host'].lower()} {found['id']}"
            self._deferred[key] = None
            self._seen.add((found["host"].lower(), found["id"]))
        elif text.rstrip().endswith(": removed") and (found := POSTFIX_REMOVED.search(text)):
            self._deferred.pop(f"{found['host'].lower()} {found['id']}", None)
            self._seen.discard((found["host"].lower(), found["id"]))  # a queue id is reused later
        elif " client=" in text and _names_loopback(text) and (found := POSTFIX_CLIENT.search(text)) \
                and _loopback(found["ip"]):
            self._loopback.add((found["host"].lower(), found["id"]))  # a filter's copy, or an application's
        elif "queued as " in text and _names_loopback(text) and (found := POSTFIX_HANDED_BACK.search(text)) \
                and _loopback(found["ip"]):
            copy = (found["host"].lower(), found["id"])
            self._handed_back.add(copy)
            self._held.pop(copy, None)  # the filter's copy of a message already counted

    def finish(self) -> None:
        """The loopback clients' messages no delivery to a filter named: mail an application submitted."""
        for key, line in self._held.items():
            if key not in self._handed_back:
                self._count(line)
        self._held.clear()

    def still_deferred(self) -> tuple[str, ...]:
        """The deferred ids to carry to the next read: the newest, bounded (Postfix gives up after 5 days)."""
        return tuple(list(self._deferred)[-MAX_DEFERRED:])

    def add(self, line: LogLine) -> None:
        found = self.collected
        if line.host:
            found.helo_names.add(line.host)
        if line.outbound_ip:
            found.outbound_ips.add(line.outbound_ip)
        key = (line.host, line.message_id)
        if not line.sender or key in self._seen:
            return  # a bounce we send; a deferred message qmgr takes up again
        self._seen.add(key)
        if key in self._handed_back:
            return  # the filter's copy: its original was counted
        if key in self._loopback:
            self._held[key] = line  # a filter's copy, unless no delivery names it by the end of the read
            return
        self._count(line)

    def _count(self, line: LogLine) -> None:
        found = self.collected
        local, at_sign, domain = line.sender.rpartition("@")
        if not (local and at_sign and domain):
            return
        wanted = self._wanted.get(domain)
        if wanted is None:
            wanted = self._wanted[domain] = any(matches(pattern, domain) > 0 for pattern in self._domains)
        if wanted:
            found.counts[(domain, line.at)] += 1
            found.senders[(line.sender, line.at)] += 1


def _follow(path: Path, cursor: FileCursor | None, *, kind: LogKind, now: datetime, from_start: bool,
            tally: _Tally, zone: tzinfo | None) -> FileCursor:
    """Reads one live file on from its cursor; a rotated or truncated file's lost tail is read first."""
    with _open(path) as handle:
        status = os.fstat(handle.fileno())
        identity = f"{status.st_dev}:{status.st_ino}"
        if cursor is None:
            start, partial = (0 if from_start else status.st_size), ""
        elif (cursor.identity == identity and status.st_size >= cursor.offset
              and _fingerprint(handle, cursor.offset) == cursor.fingerprint):
            start, partial = cursor.offset, cursor.partial
        else:
            start, partial = 0, ""
            _finish_old(path, cursor, rotated=cursor.identity != identity, kind=kind, now=now, tally=tally,
                        zone=zone)
        offset, partial = _read(handle, start, partial, _consumer(kind, status.st_mtime, now, tally, zone), path=path)
        return FileCursor(path=str(path), identity=identity, offset=offset, fingerprint=_fingerprint(handle, offset),
                          partial=partial)


def _finish_old(path: Path, cursor: FileCursor, *, rotated: bool, kind: LogKind, now: datetime,
                tally: _Tally, zone: tzinfo | None) -> None:
    """Reads what was appended to the file we were reading after our cursor, from where it went: renamed
    by a rotation, or copied there before being truncated in place (logrotate's copytruncate)."""
    old = _rotated_copy(path, cursor)
    notes = tally.collected.notes
    if old is not None:
        with _open(old) as handle:
            consume = _consumer(kind, os.fstat(handle.fileno()).st_mtime, now, tally, zone)
            _read(handle, cursor.offset, cursor.partial, consume, path=old, finished=True)
        what = "rotated" if rotated else "truncated"
        notes.append(f"{path} was {what}: finished {old.name} from byte {cursor.offset}, "
                     "then read the new file from its start")
    elif rotated:
        notes.append(f"{path} was rotated and the old file is not among {path.name}.1, .1.gz, -YYYYMMDD(.gz): "
                     f"what it got after byte {cursor.offset} is not counted; read the new file from its start")
    else:
        notes.append(f"{path} was truncated: read again from its start")


def _rotated_copy(path: Path, cursor: FileCursor) -> Path | None:
    """The rotated sibling holding the file the cursor points into: the same inode (renamed), or, for a
    compressed or copied one, the same first bytes."""
    dated = glob.escape(path.name) + "-" + "[0-9]" * 8
    candidates = [path.with_name(path.name + ".1"), path.with_name(path.name + ".1.gz"),  # newest first
                  *sorted(path.parent.glob(dated), reverse=True),
                  *sorted(path.parent.glob(dated + ".gz"), reverse=True)]
    for candidate in candidates:
        try:
            if candidate.suffix != ".gz":
                status = candidate.stat()
                if f"{status.st_dev}:{status.st_ino}" == cursor.identity:
                    return candidate if status.st_size >= cursor.offset else None
                if status.st_size < cursor.offset:
                    continue
            if cursor.offset:  # an empty prefix matches any file
                with _open(candidate) as handle:
                    if _fingerprint(handle, cursor.offset) == cursor.fingerprint:
                        return candidate
        except (OSError, VolumeError, EOFError, zlib.error):
            continue  # gone meanwhile, or a .gz still being written: not the one
    return None


def _read(handle: BinaryIO, start: int, partial: str, consume: Callable[[str], None], *, path: Path,
          finished: bool = False) -> tuple[int, str]:
    """Feeds each line after byte `start` to `consume`, `partial` completed first, a chunk at a time.
    Returns the byte reached and the last line if no newline ends it yet; in a `finished` file (rotated
    away, nothing more comes) that line is fed too."""
    offset, carry = start, partial.encode()
    try:
        handle.seek(start)
        while chunk := handle.read(_CHUNK):
            offset += len(chunk)
            data = carry + chunk
            end = data.rfind(b"\n") + 1
            for line in data[:end].decode("utf-8", "replace").split("\n")[:-1]:
                consume(line)
            carry = data[end:] if len(data) - end <= _LONGEST_LINE else b""
    except (OSError, EOFError, zlib.error) as exc:
        raise VolumeError(f"cannot read {path}: {_reason(exc)}") from exc
    if finished:
        if carry:
            consume(carry.decode("utf-8", "replace"))
        return offset, ""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    text = decoder.decode(carry, final=False)
    return offset - len(decoder.getstate()[0]), text  # a character cut in two is read again next time


def _consumer(kind: LogKind, mtime: float, now: datetime, tally: _Tally,
              zone: tzinfo | None) -> Callable[[str], None]:
    if kind == "exim_log":
        def consume_exim(text: str) -> None:
            if (line := exim_line(text, zone=zone)) is not None:
                tally.add(line)
        return consume_exim
    year_ref = min(datetime.fromtimestamp(mtime, UTC), now)  # no line is later than the file's last write

    def consume_postfix(text: str) -> None:
        if (line := postfix_line(text, year_ref=year_ref, zone=zone)) is not None:
            tally.add(line)
        else:
            tally.deferred_line(text)
    return consume_postfix


def _open(path: Path) -> BinaryIO:
    try:
        if path.suffix == ".gz":
            return gzip.open(path, "rb")  # type: ignore[return-value]  # a GzipFile is a binary file
        return path.open("rb")
    except OSError as exc:
        raise VolumeError(f"cannot read {path}: {_reason(exc)}") from exc


def _fingerprint(handle: BinaryIO, length: int) -> str:
    """sha256 of the first min(1 KiB, `length`) bytes: only what the cursor has read, so a file that
    grew keeps its fingerprint."""
    handle.seek(0)
    return hashlib.sha256(handle.read(min(_FINGERPRINT, length))).hexdigest()


def _reason(exc: BaseException) -> str:
    return (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)) or type(exc).__name__


@lru_cache(maxsize=4096)
def _minute(text: str, offset: str, zone: tzinfo | None) -> datetime | None:
    """'2026-12-01T14:02' or '2026-12-01 14:02', with '+01:00', '+0100', 'Z' or '' → the minute in UTC."""
    try:
        return _utc(datetime.fromisoformat(text + offset), zone)
    except (ValueError, OverflowError):  # "9999-12-31T23:59-01:00" is past what a datetime holds in UTC
        return None


@lru_cache(maxsize=4096)
def _classic_minute(month: str, day: int, hour: int, minute: int, year_ref: datetime,
                    zone: tzinfo | None) -> datetime | None:
    """A stamp without a year, in the latest year that does not put it after `year_ref` (a day's slack
    for clocks and zones): "Dec 31" in a file last written on Jan 1 is last year's."""
    if month not in _MONTHS:
        return None
    for year in (year_ref.year + 1, year_ref.year, year_ref.year - 1):
        try:
            at = _utc(datetime(year, _MONTHS[month], day, hour, minute), zone)
        except (ValueError, OverflowError):
            continue  # Feb 29 in a year without one; year 10000 (or 0) around a file dated at the edge
        if at <= year_ref + timedelta(days=1):
            return at
    return None


def _utc(at: datetime, zone: tzinfo | None) -> datetime:
    if at.tzinfo is None:
        at = at.replace(tzinfo=zone) if zone is not None else at.astimezone()  # naive: this machine's time
    return at.astimezone(UTC).replace(second=0, microsecond=0)


def _outbound(ip: str) -> bool:
    """Not loopback: a delivery to a local content filter (amavis on 127.0.0.1) is not mail sent out."""
    try:
        return not ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def _names_loopback(text: str) -> bool:
    """The cheap test first: most client= and queued-as lines name no loopback address at all."""
    return "[127." in text or "::1]" in text


def _loopback(ip: str) -> bool:
    """127.0.0.1, ::1 (Postfix writes "[::1]", some builds "[IPv6:::1]")."""
    try:
        return ipaddress.ip_address(ip.removeprefix("IPv6:").removeprefix("ipv6:")).is_loopback
    except ValueError:
        return False
