"""A local Maildir folder, mbox file or .eml as a `MailSource` (`[[mailboxes]] path = ...`), on `bot.mail.local`.

Local stores have no UIDVALIDITY and their numbering shifts when mail is removed, so every scan
walks the whole store (`reread`) and the scanner recognises counted messages by content hash
before parsing. On first contact, Maildir messages older than the backfill are skipped by the
delivery time their unique name starts with. Nothing is ever changed on disk.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from bot.config import MailboxSettings
from bot.errors import SourceError
from bot.mail.local import iter_path
from bot.mail.source import Cursor, Pending, RawMessage

log = logging.getLogger(__name__)


class LocalSource:
    """Reads one local store; its single folder is named by the configured path."""

    def __init__(self, box: MailboxSettings) -> None:
        self.name = box.name
        self._path = Path(box.path).expanduser()
        self._cap = box.max_message_bytes
        self._since: float | None = None

    @property
    def connected(self) -> bool:
        return True

    def connect(self) -> None:
        """Nothing to open; a missing path is reported by `pending`."""

    def close(self) -> None:
        """Nothing to close."""

    def folders(self) -> Sequence[str]:
        return (str(self._path),)

    def pending(self, folder: str, cursor: Cursor | None, since: datetime) -> Pending:
        if not self._path.exists():
            raise SourceError(f"mailbox {self.name!r}: path {str(self._path)!r} does not exist")
        # Only Maildir names carry a delivery time; mbox and .eml have none to filter on.
        self._since = since.timestamp() if cursor is None and self._path.is_dir() else None
        return Pending(folder=folder, uidvalidity=None, reread=True)

    def batches(self, pending: Pending, size: int) -> Iterator[list[RawMessage]]:
        batch: list[RawMessage] = []
        for number, message in enumerate(iter_path(self._path, self._cap), start=1):
            if message.error is not None:
                log.warning("mailbox %r: %s: %s", self.name, message.source, message.error)
                continue
            if self._since is not None and _delivered(message.key) < self._since:
                continue
            batch.append(RawMessage(uid=number, data=message.raw, size=len(message.raw),
                                    truncated=len(message.raw) > self._cap, internal_date=datetime.now(UTC)))
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    def archive(self, folder: str, uids: Sequence[int]) -> None:
        """Local stores are never changed."""


def _delivered(key: str) -> float:
    """Delivery time from a Maildir unique name ("1732712345.M123P45.host"); unknown counts as new."""
    head = key.split(".", 1)[0]
    return float(head) if head.isdigit() else float("inf")
