"""Read every `[[volume]]` source once into the store; run by the scan job just before its evaluation.

Each source's counts and its new read position are stored in one transaction, so a crash between
a read and its save reads the same lines again instead of losing or double-counting them. A source
that fails is recorded as failed (its domains fall back to the count threshold, with a note) and
named in the job's error, once per read.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from bot.config import Settings, VolumeSettings
from bot.errors import BounceCheckError
from bot.models import KnownServer, ServerKind, ServerSource
from bot.routing import matches
from bot.store import servers_store, volume_store
from bot.volume import Collected, FileCursor

log = logging.getLogger(__name__)


def collect_volumes(engine: Engine, settings: Settings, env: Mapping[str, str], now: datetime) -> list[str]:
    """Read each source; the errors, one line each (the caller raises them after its evaluation)."""
    errors = []
    for source in settings.volume:
        with engine.connect() as conn:
            state = volume_store.state_of(conn, source.name)
        try:
            collected, cursor = read_source(source, settings, env, now, state.cursor)
        except BounceCheckError as exc:
            log.warning("volume source %s: %s", source.name, exc)
            with engine.begin() as conn:
                volume_store.record_failure(conn, source.name, now=now, error=str(exc))
            errors.append(f"volume source {source.name}: {exc}")
            continue
        with engine.begin() as conn:
            volume_store.record_read(conn, source.name, now=now, cursor=cursor, counts=collected.counts,
                                     totals=collected.totals, notes=collected.notes, senders=collected.senders)
            _learn_servers(conn, source, settings, collected, now)
        for note in collected.notes:
            log.info("volume source %s: %s", source.name, note)
    return errors


def covered_domains(source: VolumeSettings, settings: Settings) -> list[str]:
    return [d for d in settings.monitor.domains if any(matches(p, d) for p in source.domains)]


def read_source(source: VolumeSettings, settings: Settings, env: Mapping[str, str], now: datetime,
                cursor: Any) -> tuple[Collected, Any]:
    """One read of one source: what it counted, and the cursor to keep (JSON-able)."""
    if source.kind in ("postfix_log", "exim_log"):
        from bot.volume.logs import read_logs

        cursors = {path: FileCursor(**value) for path, value in (cursor or {}).items()}
        # our own domains only: the logs hold the mail we receive too
        collected, moved = read_logs(source.paths, cursors, kind=source.kind,
                                     domains=covered_domains(source, settings), now=now)
        return collected, {path: dataclasses.asdict(c) for path, c in moved.items()}
    domains = covered_domains(source, settings)
    if source.kind == "prometheus":
        from bot.volume.prometheus import query_sent

        return query_sent(source.url, source.query, domains, settings.monitor.window, now,
                          timeout=settings.dns.timeout.total_seconds() * 5), None
    from bot.volume.sent_folder import count_sent

    mailbox = next(box for box in settings.mailboxes if box.name == source.mailbox)  # the config checked it
    collected, seen = count_sent(mailbox, source.folder, domains, now - settings.monitor.window, now, env,
                                 seen_uid=cursor)
    return collected, seen


def _learn_servers(conn: Any, source: VolumeSettings, settings: Settings, collected: Collected,
                   now: datetime) -> None:
    """Our MTA's own names and sending interfaces from its log, where the config names none."""
    monitor = settings.monitor
    found = []
    if not monitor.sending_hosts:
        found += [(ServerKind.HOST, name) for name in sorted(collected.helo_names)]
    if not monitor.sending_ips:
        found += [(ServerKind.IP, ip) for ip in sorted(collected.outbound_ips)]
    if not found:
        return
    servers = [KnownServer(kind=kind, value=value, source=ServerSource.LOGS, domain=domain)
               for domain in covered_domains(source, settings) for kind, value in found]
    servers_store.add_seen(conn, servers, now, ServerSource.LOGS)
