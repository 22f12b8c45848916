"""Read every `[[volume]]` source once into the store; run by the scan job just before its evaluation.

Each source's counts and its new read position are stored in one transaction that first claims the
source's row, so a crash between a read and its save reads the same lines again, and a second
collector that read the same cursor meanwhile saves nothing, instead of losing or double-counting
them. A source that fails, for any reason, is recorded as failed (its domains fall back to the count
threshold, with a note) and named in the job's error, once per read; the other sources are read on.
A sender of a subdomain (news.example.com) counts for its monitored parent, as its bounces do.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from bot import schedules
from bot.config import Settings, VolumeSettings, secret
from bot.errors import BounceCheckError
from bot.models import KnownServer, Original, ServerKind, ServerSource
from bot.routing import matches
from bot.store import servers_store, volume_store
from bot.store.ingest import owning_domain
from bot.store.volume_store import SourceState
from bot.volume import Collected, FileCursor

log = logging.getLogger(__name__)


def collect_volumes(engine: Engine, settings: Settings, env: Mapping[str, str], now: datetime) -> list[str]:
    """Read each source; the errors, one line each (the caller raises them after its evaluation)."""
    errors = []
    for source in settings.volume:
        if reason := _collect(engine, source, settings, env, now):
            with engine.begin() as conn:
                volume_store.record_failure(conn, source.name, now=now, error=reason)
            errors.append(f"volume source {source.name}: {reason}")
    return errors


def _collect(engine: Engine, source: VolumeSettings, settings: Settings, env: Mapping[str, str],
             now: datetime) -> str:
    """One source read and saved: "", or why it failed (one line)."""
    try:
        with engine.connect() as conn:
            state = volume_store.state_of(conn, source.name)
        collected, cursor = read_source(source, settings, env, now, state.cursor)
        counts, owners = _fold(collected, settings.monitor.domains)
        with engine.begin() as conn:
            volume_store.record_read(conn, source.name, now=now, cursor=cursor, counts=counts,
                                     totals=collected.totals, notes=collected.notes, senders=collected.senders,
                                     sender_domains=owners, reads=state.reads,
                                     counting_since=_counting_since(source, settings, state, collected, now),
                                     replaces_since=collected.replaces_since)
            _learn_servers(conn, source, settings, collected, now)
    except volume_store.ReadMeanwhile:
        log.info("volume source %s: read by another instance meanwhile; its counts are theirs", source.name)
        return ""
    except BounceCheckError as exc:
        log.warning("volume source %s: %s", source.name, exc)
        return str(exc)
    except Exception as exc:  # a bug in one reader must not leave every domain unevaluated: it is named
        log.exception("volume source %s: unexpected error", source.name)
        return f"unexpected {type(exc).__name__}: {' '.join(str(exc).split())}"[:300]
    for note in collected.notes:
        log.info("volume source %s: %s", source.name, note)
    return ""


def _fold(collected: Collected, monitored: Sequence[str]) -> tuple[Counter[tuple[str, datetime]], dict[str, str]]:
    """The counts per monitored domain, and each counted sender domain's monitored one: a subdomain's
    mail (news.example.com) counts for the domain its bounces count for (bot/store/ingest.py)."""
    owners: dict[str, str] = {}
    for domain in {d for d, _ in collected.counts} | {a.rpartition("@")[2] for a, _ in collected.senders}:
        owners[domain] = owning_domain(Original(from_address=f"@{domain}"), monitored) or domain
    counts: Counter[tuple[str, datetime]] = Counter()
    for (domain, minute), n in collected.counts.items():
        counts[(owners[domain], minute)] += n
    return counts, owners


def _counting_since(source: VolumeSettings, settings: Settings, state: SourceState, collected: Collected,
                    now: datetime) -> datetime | None:
    """From when this source's counts are whole, if this read moves it (None: as stored). A log file
    first seen is read from its end, and a rotated file that was not found loses its tail: they count
    from now. Prometheus and a Sent folder count the whole window from their first read."""
    if source.kind in ("postfix_log", "exim_log"):
        known = state.cursor if isinstance(state.cursor, dict) else {}
        fresh = any(path not in known for path in source.paths)
        lost = any("is not counted" in note for note in collected.notes)
        return now if fresh or lost else None
    return now - settings.monitor.window if state.counting_since is None else None


def covered_domains(source: VolumeSettings, settings: Settings) -> list[str]:
    return [d for d in settings.monitor.domains if any(matches(p, d) for p in source.domains)]


def _sender_patterns(source: VolumeSettings, settings: Settings) -> list[str]:
    """The covered domains and their subdomains: whose senders a log or a Sent folder counts."""
    return [pattern for d in covered_domains(source, settings) for pattern in (d, f"*.{d}")]


def read_source(source: VolumeSettings, settings: Settings, env: Mapping[str, str], now: datetime,
                cursor: Any) -> tuple[Collected, Any]:
    """One read of one source: what it counted, and the cursor to keep (JSON-able)."""
    if source.kind in ("postfix_log", "exim_log"):
        from bot.volume.logs import read_logs

        cursors = {path: FileCursor(**value) for path, value in (cursor or {}).items()}
        # our own domains only: the logs hold the mail we receive too
        collected, moved = read_logs(source.paths, cursors, kind=source.kind,
                                     domains=_sender_patterns(source, settings), now=now,
                                     zone=schedules.zone(source.timezone) if source.timezone else None)
        return collected, {path: dataclasses.asdict(c) for path, c in moved.items()}
    domains = covered_domains(source, settings)
    if source.kind == "prometheus":
        from bot.volume.prometheus import query_sent

        password = (secret(env, source.password_env, f"[[volume]] {source.name} password_env")
                    if source.password_env else "")
        return query_sent(source.url, source.query, domains, settings.monitor.window, now,
                          timeout=settings.dns.timeout.total_seconds() * 5, username=source.username,
                          password=password), None
    from bot.volume.sent_folder import count_sent

    mailbox = next(box for box in settings.mailboxes if box.name == source.mailbox)  # the config checked it
    collected, seen = count_sent(mailbox, source.folder, _sender_patterns(source, settings),
                                 now - settings.monitor.window, now, env, seen_uid=cursor)
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
