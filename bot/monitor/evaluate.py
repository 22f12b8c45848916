"""One evaluation of every monitored domain: stats → diagnosis → state machine → store → events to announce.

Called after each scan (bot/jobs.py, bot/scan.py) and by the blacklist watch (bot/monitor/watch.py).
All state lives in the store, read and written in one transaction, so a restart or a second instance
changes nothing: a conflicting writer makes the transaction start again on fresh state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine

from bot.config import MonitorSettings, Settings
from bot.models import BlacklistStatus, CheckResult, Incident, IncidentEvent, IncidentState, Listing, SentVolume
from bot.monitor import incidents, listings
from bot.monitor.diagnosis import diagnose, with_rate
from bot.monitor.rates import WindowStats, window_stats
from bot.store import incidents_store
from bot.store.figures import DomainFigures, read_figures, read_volumes
from bot.store.rates_queries import BaselineCache

Outcome = tuple[Incident, list[IncidentEvent]]


def evaluate(engine: Engine, settings: Settings, now: datetime, *, domains: Sequence[str] | None = None,
             new_listings: Mapping[str, frozenset[Listing]] | None = None,
             baselines: BaselineCache | None = None) -> list[Outcome]:
    """Evaluate `domains` (default: the monitored ones and any with an unresolved incident).

    `new_listings` are listings the blacklist watch has just seen appear; they may open an incident.
    `baselines` (the scheduler keeps one) reads the domains' past windows once an hour instead of each time.
    Returns each incident that is not resolved or that changed, with the events this evaluation stored
    (empty when nothing is worth a message); `changed(incident, now)` tells whether its card moved.
    """
    monitor = settings.monitor

    def work(conn: Connection) -> list[Outcome]:
        names = list(domains) if domains is not None else _domains(conn, monitor)
        latest = incidents_store.latest_incidents(conn, names)
        # Only a domain in trouble needs its bounces grouped and diagnosed: above its threshold, newly
        # listed, or with an incident to follow. The rest cost one count each.
        busy = {d for d, i in latest.items() if i.state is not IncidentState.RESOLVED} | set(new_listings or {})
        volumes = read_volumes(conn, names, now, settings)
        # A high rate on few bounces is trouble too: 30 of 300 sent is 10 %, far below any count threshold.
        busy |= {d for d, v in volumes.items() if isinstance(v, SentVolume) and v.rate_alerting}
        stats = read_stats(conn, names, now, monitor, baselines,
                           detail=lambda figures: figures.alerting or figures.domain in busy)
        checks = incidents_store.latest_checks(conn, names)
        failures = incidents_store.latest_failures(conn, names)
        outcomes = []
        for domain in names:
            if domain not in busy and not stats[domain].alerting:
                continue  # no incident to open or follow: nothing to diagnose
            status = listings.blacklist_status(checks.get(domain), failures.get(domain), now, fresh_for(settings))
            seen = observe(stats[domain], checks.get(domain), monitor, (new_listings or {}).get(domain), status,
                           volume=volumes.get(domain))
            step = incidents.step(latest.get(domain), seen, now, monitor)
            if step.incident is None:
                continue
            stored, events = incidents_store.save(conn, latest.get(domain), step.incident, step.events)
            if stored.state is not IncidentState.RESOLVED or events:
                outcomes.append((stored, events))
        return outcomes

    return incidents_store.transact(engine, work)


def changed(incident: Incident, now: datetime) -> bool:
    """Whether the evaluation at `now` changed the incident (its card needs an update)."""
    return incident.updated_at == now


def read_stats(conn: Connection, domains: Sequence[str], now: datetime, monitor: MonitorSettings,
               baselines: BaselineCache | None = None,
               detail: Callable[[DomainFigures], bool] | None = None) -> dict[str, WindowStats]:
    """Each domain's window ending at `now`, as the read model counts it, folded for the diagnosis."""
    return {domain: window_stats(figures)
            for domain, figures in read_figures(conn, domains, now, monitor, baselines, detail=detail).items()}


def fresh_for(settings: Settings) -> timedelta:
    """How long a clean check may be shown as ✅ on an incident: two rechecks, so one late recheck is not a gap."""
    return 2 * settings.schedule.recheck_interval


def observe(stats: WindowStats, check: CheckResult | None, monitor: MonitorSettings,
            new_listings: frozenset[Listing] | None = None,
            blacklist: BlacklistStatus | None = None, *, volume: SentVolume | str | None = None,
            ) -> incidents.Observation:
    """What the state machine is shown for one domain: the numbers, the rate where there is one, the
    likely cause, the listings. `volume` is the domain's rate, or why its source cannot be trusted."""
    diagnosis = diagnose(stats, check, monitor.window)
    return incidents.Observation(
        volume=volume if isinstance(volume, SentVolume) else None,
        volume_note=volume if isinstance(volume, str) else "",
        blacklist=blacklist, cited=stats.by_blocklist[:6],
        domain=stats.domain, count=stats.total, threshold=stats.threshold,
        diagnosis=(with_rate(diagnosis, stats, volume, monitor.window) if isinstance(volume, SentVolume)
                   else diagnosis),
        top_reasons=stats.by_reason[:5],
        listed=listings.listings_of(check), cleared=listings.cleared_by(check),
        new_listings=new_listings or frozenset())


def _domains(conn: Connection, monitor: MonitorSettings) -> list[str]:
    """The monitored domains, plus any no longer configured whose incident must still resolve."""
    leftover = [incident.domain for incident in incidents_store.unresolved(conn)]
    return list(dict.fromkeys([*monitor.domains, *leftover]))
