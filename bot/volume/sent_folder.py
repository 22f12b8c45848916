"""Sent volume from an IMAP Sent folder per sender domain and minute; the volume job calls it for `imap_sent`.

The login is the `[[mailboxes]]` entry's, through `ImapSource` (TLS or STARTTLS, password or
XOAUTH2, its error mapping and its UID bookkeeping). The folder is opened with EXAMINE and only
INTERNALDATE and the From header are fetched (BODY.PEEK), so the folder never changes and no
message gains \\Seen. Whatever the mailbox cannot do surfaces as one `VolumeError` line.
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import compat32

from bot.config import MailboxSettings
from bot.errors import SourceError
from bot.mail.imap import ImapSource
from bot.mail.source import Cursor
from bot.routing import matches
from bot.volume import Collected, VolumeError

__all__ = ["count_sent"]

_FROM = "BODY.PEEK[HEADER.FIELDS (FROM)]"
_BATCH = 1000  # a date and one header line each: far smaller answers than the scanner's batches


def count_sent(mailbox: MailboxSettings, folder: str, domains: Sequence[str], since: datetime, now: datetime,
               env: Mapping[str, str], *, seen_uid: str | None) -> tuple[Collected, str]:
    """Messages in `folder` after the cursor `seen_uid`, counted per (sender domain, minute) and per
    (sender address, minute) of their INTERNALDATE in UTC, for sender domains matching `domains`.

    The cursor is the string "uidvalidity:uid" returned by the previous call, for the caller to keep;
    None (first sight) or a cursor whose UIDVALIDITY the server no longer has (the folder was rebuilt)
    reads every message SINCE the day of `since`, and a note says when it was a rebuild. Messages
    dated before `since` are never counted; one dated after `now` (a client clock ahead, on APPEND)
    counts in the minute of `now`. A message without a sender address is left out, with a note.
    """
    if mailbox.is_local:
        raise VolumeError(f"sent folder {folder!r}: mailbox {mailbox.name!r} is a local {mailbox.path!r}, not IMAP")
    collected = Collected()
    cursor = _cursor(seen_uid)
    if seen_uid and cursor is None:
        collected.replaces_since = since
        collected.notes.append(f"sent folder {folder!r}: cursor {seen_uid!r} not understood; read again since "
                               f"{since:%Y-%m-%d}")
    # Without archive_folder, ImapSource opens folders with EXAMINE: this reader never writes.
    source = _SentFolder(mailbox.model_copy(update={"archive_folder": ""}), env)
    try:
        source.connect()
        pending = source.pending(folder, cursor, since)
        if cursor is not None and pending.reread:
            collected.replaces_since = since
            collected.notes.append(f"sent folder {folder!r}: UIDVALIDITY changed from {cursor.uidvalidity} to "
                                   f"{pending.uidvalidity} (folder rebuilt): counted again since {since:%Y-%m-%d}")
        nameless = 0
        for start in range(0, len(pending.uids), _BATCH):
            for internal, header in source.dates_and_senders(folder, pending.uids[start:start + _BATCH]):
                nameless += not _tally(collected, internal, header, domains, since, now)
    except SourceError as exc:
        raise VolumeError(f"sent folder {folder!r}: {exc}") from exc
    finally:
        source.close()
    if nameless:
        collected.notes.append(f"sent folder {folder!r}: {nameless} message(s) without a sender address "
                               "in From were not counted")
    return collected, f"{pending.uidvalidity}:{pending.last_uid}"


class _SentFolder(ImapSource):
    """`ImapSource` plus the one fetch this reader needs: dates and senders, never bodies."""

    def dates_and_senders(self, folder: str, uids: Sequence[int]) -> list[tuple[datetime | None, bytes]]:
        self._ensure_selected(folder)
        client = self._connected()
        with self._errors(f"fetching from {folder!r}"):
            answer = client.fetch(list(uids), ["INTERNALDATE", _FROM])
        out = []
        for _uid, item in sorted(answer.items()):
            internal = item.get(b"INTERNALDATE")
            # The key echoes the request without .PEEK: b"BODY[HEADER.FIELDS (FROM)]".
            header = next((v for k, v in item.items() if k.startswith(b"BODY[HEADER.FIELDS")), b"")
            out.append((internal if isinstance(internal, datetime) else None, header or b""))
        return out


def _tally(collected: Collected, internal: datetime | None, header: bytes, domains: Sequence[str],
           since: datetime, now: datetime) -> bool:
    """Count one message if it is ours and in range; false when it has no sender address to count."""
    sender = _sender(header)
    if sender is None:
        return False
    domain = sender.rpartition("@")[2]
    if internal is None or not any(matches(p, domain) > 0 for p in domains):
        return True
    if internal.tzinfo is None:  # imapclient with normalise_times=False gives aware times; be safe
        internal = internal.replace(tzinfo=UTC)
    if internal < since:
        return True
    minute = min(internal, now).astimezone(UTC).replace(second=0, microsecond=0)
    collected.counts[(domain, minute)] += 1
    collected.senders[(sender, minute)] += 1
    return True


def _sender(header: bytes) -> str | None:
    """The address of `From: "News" <News@Example.com>` lower-cased, or None when it names none."""
    message = BytesHeaderParser(policy=compat32).parsebytes(header)
    value = message.get("From")
    if value is None:
        return None
    _name, address = email.utils.parseaddr(str(value))
    local, at, domain = address.strip().lower().rpartition("@")
    return f"{local}@{domain.rstrip('.')}" if at and local and domain else None


def _cursor(text: str | None) -> Cursor | None:
    """ "uidvalidity:uid" → a Cursor; None for a first read or a cursor that is not one."""
    validity, _, uid = (text or "").partition(":")
    if validity.isdigit() and uid.isdigit():
        return Cursor(uidvalidity=int(validity), last_uid=int(uid))
    return None
