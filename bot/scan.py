"""`bouncecheck scan [--once] [--json]`: scan the configured mailboxes, evaluate, print a summary; no Slack.

Called by `bot.cli`. One pass is `scan_all` (bot/mail/scanner.py), then `evaluate_incidents`
(the monitor's step), then the summary DESIGN.md specifies. Without --once it repeats every
`[schedule] scan_interval`, and mailboxes with `idle = true` are also watched with IMAP IDLE.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from sqlalchemy import Engine

from bot import metrics
from bot.config import Settings, environ, said
from bot.mail.scanner import FolderResult, ScanContext, scan_all, watch_mailbox
from bot.models import SentVolume, alerting
from bot.monitor.learning import learn_missing
from bot.monitor.wording import rate_said
from bot.store import volume_store
from bot.store.database import open_engine
from bot.store.figures import read_figures, read_volumes
from bot.store.leases import Heartbeat, free_dead_leases
from bot.volume.job import collect_volumes

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILURE = 0, 1


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainCount:
    domain: str
    bounces_in_window: int  # failed recipients, as every surface counts them (bot/store/figures.py)
    threshold: int  # effective: alert_bounces raised by the baseline
    delayed_in_window: int = 0  # delay warnings, shown apart
    volume: SentVolume | None = None  # our bounce rate, where a healthy volume source counts the domain
    volume_note: str = ""  # why a domain with a volume source has no rate


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceHealth:
    name: str
    problem: str  # "" when healthy
    last_read_at: datetime | None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanSummary:
    mailboxes: tuple[FolderResult, ...]
    domains: tuple[DomainCount, ...]
    incidents: tuple[dict[str, Any], ...]
    volume_sources: tuple[SourceHealth, ...] = ()

    @property
    def failed(self) -> bool:
        return any(result.errors for result in self.mailboxes) or any(s.problem for s in self.volume_sources)


def run_scan(settings: Settings, *, once: bool, as_json: bool, out: TextIO) -> int:
    """One pass (`once`) or a pass every scan_interval until interrupted; exit 1 if a mailbox failed."""
    engine = open_engine(settings.storage.url)
    try:
        ctx = ScanContext.from_settings(settings, engine, environ())
        if not once:  # a long-running scan can be scraped on [metrics] port
            metrics.watch_store(engine, settings, ctx.clock)
            metrics.serve(settings)
        with Heartbeat(engine, owner=ctx.owner):  # a long first scan keeps its folder leases
            if once:
                return _report(scan_once(settings, ctx), settings, as_json=as_json, out=out)
            return _scan_forever(settings, ctx, as_json=as_json, out=out)
    finally:
        engine.dispose()


def _scan_forever(settings: Settings, ctx: ScanContext, *, as_json: bool, out: TextIO) -> int:
    stop = threading.Event()
    watchers = [threading.Thread(target=watch_mailbox, args=(box, ctx, stop), name=f"idle-{box.name}", daemon=True)
                for box in settings.mailboxes if box.idle and not box.is_local]
    for watcher in watchers:
        watcher.start()
    code = EXIT_OK
    try:
        while True:
            code = _report(scan_once(settings, ctx), settings, as_json=as_json, out=out)
            if stop.wait(settings.schedule.scan_interval.total_seconds()):
                break
    except KeyboardInterrupt:
        log.info("scan stopped")
    finally:
        stop.set()
        for watcher in watchers:
            watcher.join(timeout=5)
    return code


def scan_once(settings: Settings, ctx: ScanContext) -> ScanSummary:
    """Learn our servers if none are known, scan every mailbox, evaluate incidents, count each domain's bounces."""
    free_dead_leases(ctx.engine, ctx.clock())
    for problem in learn_missing(ctx.engine, settings, ctx.clock()):
        log.warning("could not learn our servers: %s; bounces that need them count as of unknown origin", problem)
    results = scan_all(settings.mailboxes, ctx)
    collect_volumes(ctx.engine, settings, environ(), ctx.clock())  # the sent side of each rate
    now = ctx.clock()
    incidents = evaluate_incidents(settings, ctx.engine, now)
    with ctx.engine.connect() as conn:
        figures = read_figures(conn, settings.monitor.domains, now, settings.monitor)
        volumes = read_volumes(conn, settings.monitor.domains, now, settings)
        states = volume_store.states(conn, [v.name for v in settings.volume])
    domains = tuple(DomainCount(domain=f.domain, bounces_in_window=f.failed, threshold=f.threshold,
                                delayed_in_window=f.delayed,
                                volume=v if isinstance(v := volumes.get(f.domain), SentVolume) else None,
                                volume_note=v if isinstance(v, str) else "") for f in figures.values())
    window = settings.monitor.window
    sources = tuple(SourceHealth(name=v.name, problem=states[v.name].healthy(now, v.stale_after, window),
                                 last_read_at=states[v.name].last_ok_at, notes=states[v.name].notes)
                    for v in settings.volume)
    return ScanSummary(mailboxes=tuple(results), domains=domains, incidents=tuple(incidents), volume_sources=sources)


def evaluate_incidents(settings: Settings, engine: Engine, now: datetime) -> Sequence[dict[str, Any]]:
    """The monitor's step (bot/monitor): open, update or resolve incidents from the stored bounces.

    Returns the `incidents` entries of the summary (id, domain, state, cause, bounces_in_window,
    events): each incident not resolved or changed by this pass, with the kinds of the events it made.
    """
    from bot.monitor.evaluate import evaluate

    return [{"id": incident.id, "domain": incident.domain, "kind": str(incident.kind), "state": str(incident.state),
             "cause": str(incident.cause), "bounces_in_window": incident.bounces_in_window,
             "events": [str(event.kind) for event in events]}
            for incident, events in evaluate(engine, settings, now)]


def summary_json(summary: ScanSummary) -> dict[str, Any]:
    """The `scan --once --json` object of DESIGN.md."""
    return {
        "mailboxes": [{"name": r.mailbox, "folder": r.folder, "new_messages": r.new_messages,
                       "bounces": r.bounces, "errors": list(r.errors),
                       **({"skipped": r.skipped} if r.skipped else {})} for r in summary.mailboxes],
        "domains": [{"domain": d.domain, "bounces_in_window": d.bounces_in_window, "threshold": d.threshold,
                     "delayed_in_window": d.delayed_in_window, **_rate_json(d)} for d in summary.domains],
        "incidents": list(summary.incidents),
        **({"volume_sources": [{"name": s.name, "healthy": not s.problem, "problem": s.problem or None,
                                "last_read_at": s.last_read_at.isoformat() if s.last_read_at else None,
                                "notes": list(s.notes)} for s in summary.volume_sources]}
           if summary.volume_sources else {}),
    }


def _rate_json(domain: DomainCount) -> dict[str, Any]:
    """The domain's rate, only where it has a volume source (a domain without one keeps the old shape)."""
    volume = domain.volume
    if volume is None:
        return {"rate": None, "rate_unknown_because": domain.volume_note} if domain.volume_note else {}
    return {"rate": {"own_bounces": volume.own, "sent": volume.sent,
                     "rate": round(volume.rate, 6) if volume.rate is not None else None,
                     "alert_rate": volume.alert_rate, "min_sent": volume.min_sent, "judged": volume.judged,
                     "other_bounces": volume.other, "sources": list(volume.sources)}}


def summary_text(summary: ScanSummary, settings: Settings) -> str:
    lines = []
    for r in summary.mailboxes:
        found = (f"skipped: being scanned by {r.skipped}" if r.skipped
                 else f"{r.new_messages} new messages, {r.bounces} bounces")
        lines.append(f"{r.mailbox} {r.folder}: {found}" + "".join(f"\n  error: {e}" for e in r.errors))
    if not summary.mailboxes:
        lines.append("no mailboxes configured")
    window = said(settings.monitor.window)
    for d in summary.domains:
        above = alerting(d.bounces_in_window, d.threshold, d.volume)
        rate = (f"; our bounce rate {rate_said(d.volume)}" if d.volume
                else f"; bounce rate unknown: {d.volume_note}" if d.volume_note else "")
        lines.append(f"{d.domain}: {d.bounces_in_window} bounces in the last {window} "
                     f"(threshold {d.threshold}){rate}{'  ABOVE THRESHOLD' if above else ''}")
    for source in summary.volume_sources:
        if source.problem:
            lines.append(f"  ⚠ {source.problem}")
    lines.append(f"incidents: {len(summary.incidents) or 'none'}")
    for incident in summary.incidents:
        lines.append(f"  #{incident.get('id')} {incident.get('domain')}: {incident.get('state')}, "
                     f"{incident.get('cause')}")
    return "\n".join(lines)


def _report(summary: ScanSummary, settings: Settings, *, as_json: bool, out: TextIO) -> int:
    if as_json:
        out.write(json.dumps(summary_json(summary)) + "\n")
    else:
        out.write(f"scan at {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC\n{summary_text(summary, settings)}\n")
    out.flush()
    return EXIT_FAILURE if summary.failed else EXIT_OK
