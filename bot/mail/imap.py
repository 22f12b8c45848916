"""An IMAP mailbox as a `MailSource`, on imapclient; called by the scanner, one instance per connection.

Read-only by construction: folders are opened with EXAMINE and bodies fetched with BODY.PEEK, so
nothing gains \\Seen; only an opt-in `archive_folder` opens folders read-write to move bounces.
imapclient, ssl and socket errors are mapped here into `SourceError` and its children.

Behaviour pinned against Dovecot (shared/research/imap-and-bounces.md §4):
- `UID SEARCH UID n:*` answers the highest UID even when nothing is newer, so results are filtered;
- imapclient 4.1 `fetch("1:*")` raises ValueError, so UIDs are always passed as lists of ints;
- without a `SocketTimeout` a hung server blocks for ever.
"""

from __future__ import annotations

import contextlib
import logging
import shlex
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from imapclient import IMAPClient, SocketTimeout
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from bot.config import MailboxSettings, secret
from bot.errors import MailboxAuthError, MailboxTLSError, MailboxUnavailable, SourceError
from bot.mail.source import Cursor, Pending, RawMessage

log = logging.getLogger(__name__)

_TOKEN_COMMAND_TIMEOUT = 30.0
_CONNECT_TIMEOUT_CAP = 15.0


class ImapSource:
    """One IMAP connection to one `[[mailboxes]]` entry; enter to connect and log in."""

    def __init__(self, box: MailboxSettings, environ: Mapping[str, str]) -> None:
        self.name = box.name
        self._box = box
        self._environ = environ
        self._client: IMAPClient | None = None
        self._selected: str | None = None
        self._where = f"{box.host}:{box.effective_port}"

    # ----------------------------------------------------------------- connection

    @property
    def connected(self) -> bool:
        return self._client is not None

    def connect(self) -> None:
        box = self._box
        seconds = box.timeout.total_seconds()
        timeout = SocketTimeout(connect=min(seconds, _CONNECT_TIMEOUT_CAP), read=seconds)
        context = ssl.create_default_context(cafile=box.ca_file or None)
        with self._errors("connecting"):
            client = IMAPClient(box.host, port=box.effective_port, ssl=box.security == "tls",
                                ssl_context=context, timeout=timeout)
        try:
            with self._errors("starting TLS"):
                if box.security == "starttls":
                    client.starttls(context)
            client.normalise_times = False  # INTERNALDATE as aware datetimes
            self._login(client)
        except BaseException:
            _shutdown(client)
            raise
        self._client, self._selected = client, None
        log.debug("mailbox %r: connected to %s", self.name, self._where)

    def close(self) -> None:
        client, self._client, self._selected = self._client, None, None
        if client is not None:
            with contextlib.suppress(IMAPClientError, OSError, EOFError):
                client.logout()
            _shutdown(client)

    def _login(self, client: IMAPClient) -> None:
        box = self._box
        key = f"[[mailboxes]] {box.name!r}"
        try:
            if box.auth == "xoauth2":
                client.oauth2_login(box.username, self._oauth2_token())
            else:
                client.login(box.username, secret(self._environ, box.password_env, f"{key} password_env"))
        except LoginError as exc:
            raise MailboxAuthError(f"mailbox {box.name!r}: {self._where} refused the login of "
                                   f"{box.username!r}: {_text(exc)}") from exc
        except IMAPClientAbortError as exc:
            raise MailboxUnavailable(f"mailbox {box.name!r}: {self._where} dropped the connection "
                                     f"during login: {_text(exc)}") from exc
        except IMAPClientError as exc:  # imapclient raises the base class for a NO to AUTHENTICATE
            raise MailboxAuthError(f"mailbox {box.name!r}: {self._where} refused the login of "
                                   f"{box.username!r}: {_text(exc)}") from exc
        except (OSError, EOFError) as exc:
            raise MailboxUnavailable(f"mailbox {box.name!r}: {self._where} unavailable during "
                                     f"login: {exc}") from exc

    def _oauth2_token(self) -> str:
        """The XOAUTH2 access token, asked for again on every connection (tokens expire hourly)."""
        box = self._box
        if not box.oauth2_token_command:
            return secret(self._environ, box.oauth2_token_env, f"[[mailboxes]] {box.name!r} oauth2_token_env")
        try:
            done = subprocess.run(shlex.split(box.oauth2_token_command), capture_output=True, text=True,
                                  timeout=_TOKEN_COMMAND_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise MailboxAuthError(f"mailbox {box.name!r}: oauth2_token_command failed: {exc}") from exc
        token = done.stdout.strip()
        if done.returncode != 0 or not token:
            detail = (done.stderr.strip().splitlines() or ["no token on stdout"])[0]
            raise MailboxAuthError(f"mailbox {box.name!r}: oauth2_token_command exited with "
                                   f"{done.returncode}: {detail}")
        return token

    # ----------------------------------------------------------------- MailSource

    def folders(self) -> Sequence[str]:
        return self._box.folders

    def pending(self, folder: str, cursor: Cursor | None, since: datetime) -> Pending:
        """UIDs after the cursor; on first contact or a new UIDVALIDITY, every UID since `since`."""
        status = self._select(folder)
        uidvalidity = int(status[b"UIDVALIDITY"])
        client = self._connected()
        if cursor is not None and cursor.uidvalidity == uidvalidity:
            uidnext = status.get(b"UIDNEXT")
            if uidnext is not None and int(uidnext) <= cursor.last_uid + 1:
                return Pending(folder=folder, uidvalidity=uidvalidity, uids=(), reread=False,
                               last_uid=cursor.last_uid)
            with self._errors(f"searching {folder!r}"):
                found = client.search(["UID", f"{cursor.last_uid + 1}:*"])
            # `UID n:*` always answers the highest UID, even when it is below n.
            uids = sorted(uid for uid in found if uid > cursor.last_uid)
            return Pending(folder=folder, uidvalidity=uidvalidity, uids=uids, reread=False,
                           last_uid=max([cursor.last_uid, *uids]))
        if cursor is not None:
            log.warning("mailbox %r folder %r: UIDVALIDITY changed from %s to %s; re-reading since %s "
                        "and skipping messages already counted", self.name, folder, cursor.uidvalidity,
                        uidvalidity, since.date())
        uids = []
        if int(status.get(b"EXISTS", 1)):
            with self._errors(f"searching {folder!r}"):
                uids = sorted(client.search(["SINCE", since.date()]))
        # UIDs below UIDNEXT that SINCE left out are older than the backfill: never read them.
        known = int(status.get(b"UIDNEXT", 1)) - 1
        return Pending(folder=folder, uidvalidity=uidvalidity, uids=uids, reread=True,
                       last_uid=max([known, *uids]))

    def batches(self, pending: Pending, size: int) -> Iterator[list[RawMessage]]:
        """The pending UIDs fetched `size` at a time."""
        for start in range(0, len(pending.uids), size):
            yield self.fetch(pending.folder, pending.uids[start:start + size])

    def fetch(self, folder: str, uids: Sequence[int]) -> list[RawMessage]:
        """The messages with these UIDs, oldest first; one above max_message_bytes comes headers-only."""
        if not uids:
            return []
        self._ensure_selected(folder)
        client = self._connected()
        cap = self._box.max_message_bytes
        with self._errors(f"fetching from {folder!r}"):
            meta = client.fetch(list(uids), ["RFC822.SIZE", "INTERNALDATE"])
            sizes = {uid: int(item.get(b"RFC822.SIZE", 0)) for uid, item in meta.items()}
            whole = [uid for uid in uids if uid in sizes and sizes[uid] <= cap]
            heads = [uid for uid in uids if uid in sizes and sizes[uid] > cap]
            bodies = client.fetch(whole, ["BODY.PEEK[]"]) if whole else {}
            headers = client.fetch(heads, ["BODY.PEEK[HEADER]"]) if heads else {}
        out = []
        for uid in uids:
            if uid in bodies:
                data, truncated = bodies[uid].get(b"BODY[]") or b"", False
            elif uid in headers:
                data, truncated = headers[uid].get(b"BODY[HEADER]") or b"", True
                log.info("mailbox %r folder %r: UID %d is %d bytes, above max_message_bytes %d: "
                         "read its headers only", self.name, folder, uid, sizes[uid], cap)
            else:
                continue  # expunged between SEARCH and FETCH
            internal = meta[uid].get(b"INTERNALDATE")
            out.append(RawMessage(uid=uid, data=data, size=sizes[uid], truncated=truncated,
                                  internal_date=internal if isinstance(internal, datetime) else None))
        return out

    def archive(self, folder: str, uids: Sequence[int]) -> None:
        """Move these messages to `archive_folder` (opt-in; the only write this source ever makes)."""
        target = self._box.archive_folder
        if not target or not uids:
            return
        self._ensure_selected(folder)
        client = self._connected()
        with self._errors(f"archiving to {target!r}"):
            if not client.folder_exists(target):
                client.create_folder(target)
            if client.has_capability("MOVE"):
                client.move(list(uids), target)
            else:
                client.copy(list(uids), target)
                client.delete_messages(list(uids))
                if client.has_capability("UIDPLUS"):
                    client.uid_expunge(list(uids))

    # ----------------------------------------------------------------- IDLE

    def wait_for_new(self, folder: str, seconds: float, stop: threading.Event | None = None) -> bool:
        """IDLE on `folder` for up to `seconds`; true as soon as the server announces new mail.

        Callers renew by calling again: RFC 2177 servers may drop an IDLE older than 29 minutes and
        middleboxes much sooner, so keep `seconds` to a few minutes.
        """
        self._ensure_selected(folder)
        client = self._connected()
        deadline = time.monotonic() + seconds
        with self._errors(f"idling on {folder!r}"):
            client.idle()
            try:
                while (left := deadline - time.monotonic()) > 0 and not (stop and stop.is_set()):
                    for response in client.idle_check(timeout=min(left, 1.0)):
                        if len(response) >= 2 and response[1] in (b"EXISTS", b"RECENT"):
                            return True
                return False
            finally:
                client.idle_done()

    # ----------------------------------------------------------------- helpers

    def _connected(self) -> IMAPClient:
        if self._client is None:
            raise MailboxUnavailable(f"mailbox {self.name!r}: not connected")
        return self._client

    def _ensure_selected(self, folder: str) -> None:
        if self._selected != folder:
            self._select(folder)

    def _select(self, folder: str) -> dict[bytes, Any]:
        client = self._connected()
        with self._errors(f"opening folder {folder!r}"):
            status: dict[bytes, Any] = client.select_folder(folder, readonly=not self._box.archive_folder)
        self._selected = folder
        return status

    @contextlib.contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Map imapclient/ssl/socket errors into ours, naming the mailbox, server and step."""
        name, where = self.name, self._where
        try:
            yield
        except ssl.SSLCertVerificationError as exc:
            raise MailboxTLSError(f"mailbox {name!r}: the certificate of {where} is not trusted "
                                  f"({exc.verify_message}); set ca_file to the CA that signed it") from exc
        except ssl.SSLError as exc:
            if _connection_lost(exc):
                raise MailboxUnavailable(f"mailbox {name!r}: {where} dropped the connection while "
                                         f"{doing}: {exc}") from exc
            raise MailboxTLSError(f"mailbox {name!r}: TLS with {where} failed while {doing}: "
                                  f"{getattr(exc, 'reason', None) or exc}") from exc
        except IMAPClientAbortError as exc:
            raise MailboxUnavailable(f"mailbox {name!r}: {where} dropped the connection while "
                                     f"{doing}: {_text(exc)}") from exc
        except TimeoutError as exc:
            raise MailboxUnavailable(f"mailbox {name!r}: {where} timed out while {doing}") from exc
        except (OSError, EOFError) as exc:
            raise MailboxUnavailable(f"mailbox {name!r}: {where} unavailable while {doing}: "
                                     f"{getattr(exc, 'strerror', None) or exc}") from exc
        except IMAPClientError as exc:
            raise SourceError(f"mailbox {name!r}: {where} refused {doing}: {_text(exc)}") from exc


def _connection_lost(exc: ssl.SSLError) -> bool:
    """A server gone mid-session, which OpenSSL ≥ 3.4 under Python 3.11 reports as "[SYS] unknown error"
    instead of an OSError (CPython gh-127257): retry it like any lost connection, not as a TLS fault."""
    return isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError) or getattr(exc, "library", None) == "SYS"


def _text(exc: BaseException) -> str:
    text = str(exc)
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:-1]
    return text or exc.__class__.__name__


def _shutdown(client: IMAPClient) -> None:
    with contextlib.suppress(OSError, AttributeError):
        client.shutdown()
