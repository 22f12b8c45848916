"""Sent volume per domain: how many messages we sent, so a bounce rate is a share and not a count.

Each source (`[[volume]]` in the config) is read by the volume job into per-minute counts in the
store (bot/store/volume_store.py); the evaluation reads them back as `sent in the window`. A source
that fails, or reports nothing for `stale_after`, is unhealthy: its domains fall back to the count
threshold, with a note saying so, never to a rate from stale numbers.

The types every source returns live here; the readers are `logs` (Postfix and Exim log files),
`prometheus` (a query) and `sent_folder` (an IMAP Sent folder).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.errors import VolumeError

__all__ = ["Collected", "FileCursor", "VolumeError", "sender_key"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FileCursor:
    """How far a log file was read: which file (identity: device and inode), to which byte, and a
    fingerprint of its first bytes, so a file rotated or truncated in place is noticed."""

    path: str
    identity: str  # "dev:inode"
    offset: int
    fingerprint: str  # sha256 of the first up-to-1 KiB, hex
    partial: str = ""  # a last line not yet ended by a newline, read again next time
    # Postfix queue ids ("host id") deferred and not yet removed: qmgr logs such a message's
    # "from=… (queue active)" again at each retry, which must not count as one more message sent
    deferred: tuple[str, ...] = ()


@dataclass(slots=True)
class Collected:
    """What one read of a source found.

    `counts`: messages accepted for delivery, per (sender domain, minute the log or the folder dates
    them, UTC, second 0); `senders`: the same per sender address (a compromised sender is a jump in
    one sender's volume); `totals`: for a source that answers with a count over a span (Prometheus),
    per domain (at, span, count); `helo_names` and `outbound_ips`: what the logs say of our own
    servers; `notes`: what a person should know (a truncated file noticed, a rotated file followed).
    """

    counts: Counter[tuple[str, datetime]] = field(default_factory=Counter)
    senders: Counter[tuple[str, datetime]] = field(default_factory=Counter)
    totals: dict[str, tuple[datetime, timedelta, int]] = field(default_factory=dict)
    helo_names: set[str] = field(default_factory=set)
    outbound_ips: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    # the read counted everything from this moment again (a Sent folder rebuilt, a cursor not understood):
    # its counts replace the stored ones from then on instead of adding to them
    replaces_since: datetime | None = None


def sender_key(address: str) -> str:
    """One key per account: lower case, without a "+tag" or a VERP/BATV decoration of the local part
    ("bounces+u=example.org@example.com" → "bounces@example.com"), so per-recipient return paths
    do not make one row each."""
    local, _, domain = address.lower().rpartition("@")
    for mark in ("+", "="):
        local = local.split(mark, 1)[0] if mark in local and not local.startswith(mark) else local
    return f"{local}@{domain}"
