"""The one read model of a domain's bounce figures: every surface that shows a count reads it here.

What "a bounce in the window" is, once: a failed recipient of one of our domains with
`end - window <= occurred_at < end`; delay warnings are counted apart and never in the count.
The effective threshold is `alert_bounces` raised by the domain's baseline (`threshold`). The card
and thread (through the evaluation), `/bouncecheck`, App Home, `scan --json`, the chart, the
blacklist watch and Recheck all read `read_figures`, `our_sending_ips` and `window_series`, so two
surfaces never disagree on one number.
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from bot.config import MonitorSettings, Settings
from bot.models import SentVolume
from bot.routing import matches
from bot.store import volume_store
from bot.store.rates_queries import BaselineCache, BounceGroup, baseline_counts, utc, utc_or_none, window_groups
from bot.store.schema import baseline_cache, bounces

Tally = tuple[tuple[str, int], ...]  # (key, count), largest first

SENDING_IPS_SINCE = timedelta(days=1)  # our IPs seen in bounces this recently are checked too
SENDING_IPS_LIMIT = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainFigures:
    """One domain's window as every surface shows it."""

    domain: str
    start: datetime
    end: datetime
    failed: int = 0  # THE count: "bounces in the window"
    delayed: int = 0  # delay warnings in the window, shown apart
    baseline: float = 0.0  # typical count of a window over the last baseline_days
    threshold: int = 0  # the count that opens an incident: alert_bounces, raised by the baseline
    last_24h: int = 0  # failed recipients in the 24 hours to `end`
    groups: tuple[BounceGroup, ...] = ()  # the window's failed bounces, grouped on every dimension

    @property
    def window(self) -> timedelta:
        return self.end - self.start

    @property
    def alerting(self) -> bool:
        return self.failed >= self.threshold > 0

    @property
    def top_reasons(self) -> Tally:
        return _largest_first(_tally(self.groups, lambda g: g.reason))

    @property
    def recipient_domains(self) -> Tally:
        return _largest_first(_tally(self.groups, lambda g: g.recipient_domain))


def read_figures(conn: Connection, domains: Sequence[str], now: datetime, monitor: MonitorSettings,
                 baselines: BaselineCache | None = None, *, last_day: bool = False,
                 detail: Callable[[DomainFigures], bool] | None = None) -> dict[str, DomainFigures]:
    """Every domain's figures for the window ending at `now` (each listed domain present).

    `detail` picks the domains whose bounces are also grouped on every dimension (default: all); the
    evaluation asks it only for domains in trouble, so a thousand quiet domains cost one count each.
    `last_day` adds the 24-hour count (the /bouncecheck answer shows it).
    """
    if not domains:
        return {}
    start = now - monitor.window
    counts = _counts_by_action(conn, domains, start, now)
    typicals = _typicals(conn, domains, start, monitor, baselines)
    day = _counts_by_action(conn, domains, now - timedelta(days=1), now) if last_day else {}
    out = {}
    for domain in domains:
        typical = typicals.get(domain, 0.0)
        out[domain] = DomainFigures(
            domain=domain, start=start, end=now, failed=counts.get((domain, "failed"), 0),
            delayed=counts.get((domain, "delayed"), 0), baseline=typical, threshold=threshold(typical, monitor),
            last_24h=day.get((domain, "failed"), 0))
    wanted = [domain for domain, figures in out.items() if detail is None or detail(figures)]
    for domain, found in window_groups(conn, wanted, start, now).items():
        out[domain] = replace(out[domain], groups=tuple(found))
    return out


def read_volumes(conn: Connection, domains: Sequence[str], now: datetime, settings: Settings,
                 ) -> dict[str, SentVolume | str]:
    """Each domain with a [[volume]] source → its bounce rate over the window ending at `now`, or the
    sentence saying why none can be trusted (a source failed, fell silent, or answered for another
    span). Domains no source covers are absent: they are judged by the count alone.

    The rate's numerator is our own mail's failed bounces (`ours` true): backscatter and bounces of
    unknown origin are `other`, stated apart. All the sources covering a domain are added (two MX
    logs); one of them unhealthy makes the whole count untrustworthy, so it falls back to the count.
    """
    monitor = settings.monitor
    start = now - monitor.window
    covering = {d: [v for v in settings.volume if any(matches(p, d) for p in v.domains)] for d in domains}
    covered = [d for d, sources in covering.items() if sources]
    if not covered or monitor.alert_rate is None:
        return {}
    health = volume_store.states(conn, [v.name for v in settings.volume])
    since = senders_since(start, now)
    earliest = (volume_store.earliest_sender_hours(conn, [v.name for v in settings.volume], since - SENDER_HISTORY,
                                                   since) if since else {})
    own = _own_failed(conn, covered, start, now)
    failed = {d: n for (d, action), n in _counts_by_action(conn, covered, start, now).items() if action == "failed"}
    # one read per source for all its domains, not one per domain
    counted = {v.name: volume_store.sent_between(conn, [v.name], covered, start, now)
               for v in settings.volume if v.kind != "prometheus"}
    totals = {v.name: volume_store.totals_of(conn, v.name, covered) for v in settings.volume if v.kind == "prometheus"}
    out: dict[str, SentVolume | str] = {}
    for domain in covered:
        sent, problems = 0, []
        for source in covering[domain]:
            problem = health[source.name].healthy(now, source.stale_after, monitor.window)
            if source.kind == "prometheus" and not problem:
                found = totals[source.name].get(domain)
                if found is None or now - found[0] > source.stale_after:
                    problem = f"volume source {source.name} has no fresh count for {domain}"
                elif found[1] != monitor.window:
                    problem = f"volume source {source.name} counted over {found[1]}, not the window"
                else:
                    sent += found[2]
            elif not problem:
                sent += counted[source.name][domain]
            if problem:
                problems.append(problem)
        if problems:
            out[domain] = "; ".join(problems)
            continue
        mine = own.get(domain, 0)
        names = [v.name for v in covering[domain]]
        top = _top_senders(conn, names, domain, start, now, earliest=earliest) if since else ()
        out[domain] = SentVolume(sent=sent, own=mine, other=failed.get(domain, 0) - mine,
                                 alert_rate=monitor.alert_rate, min_sent=monitor.min_sent, sources=tuple(names),
                                 top_senders=top, senders_since=since if top else None)
    return out


SENDER_HISTORY = timedelta(days=1)  # a sender's usual volume: its average over the day before
_HOUR = timedelta(hours=1)


def senders_since(start: datetime, end: datetime) -> datetime | None:
    """Where the senders' count starts for the window [start, end): senders are counted in clock hours,
    so from the hour `start` falls in (said "since HH:00 UTC", never "in the last <window>"); None for
    a window under an hour, where an hour's bucket would say more than the window holds."""
    if end - start < _HOUR:
        return None
    return start.replace(minute=0, second=0, microsecond=0)


def _top_senders(conn: Connection, sources: Sequence[str], domain: str, start: datetime, end: datetime, *,
                 earliest: Mapping[str, datetime] | None = None) -> tuple[tuple[str, int, float], ...]:
    """The domain's busiest senders since `senders_since(start, end)`, each with its usual count for as
    long a span over the history before it (at most a day; `earliest`: each source's first hour of it,
    read once per evaluation); none until there are two such spans of history, since a "usual" from
    no history would make every sender look like a jump."""
    since = senders_since(start, end)
    if since is None:
        return ()
    if earliest is None:
        earliest = volume_store.earliest_sender_hours(conn, sources, since - SENDER_HISTORY, since)
    first = min((earliest[s] for s in sources if s in earliest), default=None)
    span = end - since
    if first is None or since - first < 2 * span:
        return ()
    spans = (since - first) / span
    return tuple((sender, n, volume_store.sent_by(conn, sources, sender, first, since) / spans)
                 for sender, n in volume_store.busiest_senders(conn, sources, domain, since, end))


def _own_failed(conn: Connection, domains: Sequence[str], start: datetime, end: datetime) -> dict[str, int]:
    query = (select(bounces.c.domain, func.count())
             .where(bounces.c.domain.in_(list(domains)), bounces.c.action == "failed", bounces.c.ours.is_(True),
                    bounces.c.occurred_at >= utc(start), bounces.c.occurred_at < utc(end))
             .group_by(bounces.c.domain))
    return {str(domain): int(n) for domain, n in conn.execute(query)}


def our_sending_ips(conn: Connection, domain: str, now: datetime) -> tuple[str, ...]:
    """Where bounces of our own mail left from in the last day, most bounced first: the IPs a check adds."""
    count = func.count()
    query = (select(bounces.c.first_hop_ip, count)
             .where(bounces.c.domain == domain, bounces.c.action == "failed", bounces.c.ours.is_(True),
                    bounces.c.first_hop_ip.is_not(None), bounces.c.occurred_at >= utc(now - SENDING_IPS_SINCE),
                    bounces.c.occurred_at < utc(now))
             .group_by(bounces.c.first_hop_ip).order_by(count.desc(), bounces.c.first_hop_ip)
             .limit(SENDING_IPS_LIMIT))
    return tuple(str(ip) for ip, _ in conn.execute(query))


def window_series(conn: Connection, domain: str, *, start: datetime, end: datetime, window: timedelta,
                  points: int = 96) -> list[tuple[datetime, int]]:
    """The count of the window (as `read_figures` counts it) at `points` moments from start to end: the chart."""
    stamps = sorted(t for t in (utc_or_none(v) for v in conn.scalars(
        select(bounces.c.occurred_at).where(bounces.c.domain == domain, bounces.c.action == "failed",
                                            bounces.c.occurred_at >= utc(start - window),
                                            bounces.c.occurred_at < utc(end)))) if t is not None)
    step = (end - start) / max(1, points - 1)
    series = []
    for n in range(points):
        moment = start + step * n
        series.append((moment, bisect.bisect_left(stamps, moment) - bisect.bisect_left(stamps, moment - window)))
    return series


def _typicals(conn: Connection, domains: Sequence[str], start: datetime, monitor: MonitorSettings,
              baselines: BaselineCache | None) -> dict[str, float]:
    """Each domain's typical window count, as of the full hour before `start`.

    The week behind barely moves within an hour: the first evaluation of the hour reads the buckets
    and stores the result (baseline_cache), every later one, in any process, reads a row per domain.
    """
    windows, read_in = windows_in_baseline(monitor), baseline_window(monitor)
    if windows <= 0:
        return {}
    scale = monitor.window / read_in  # a 15-minute window's typical count is a quarter of the hour's
    anchor = utc(start).replace(minute=0, second=0, microsecond=0)
    key = (baseline_cache.c.anchor == anchor, baseline_cache.c.window_seconds == int(read_in.total_seconds()),
           baseline_cache.c.windows == windows)
    stored = {str(d): float(t) for d, t in conn.execute(
        select(baseline_cache.c.domain, baseline_cache.c.typical).where(*key,
                                                                        baseline_cache.c.domain.in_(list(domains))))}
    missing = [d for d in domains if d not in stored]
    if missing:
        read_past = baselines.counts if baselines else baseline_counts
        past = read_past(conn, missing, anchor, read_in, windows)
        fresh = {d: baseline(past.get(d, {}), windows) for d in missing}
        _remember(conn, fresh, anchor, read_in, windows)
        stored.update(fresh)
    return {d: typical * scale for d, typical in stored.items()}


def _remember(conn: Connection, typicals: Mapping[str, float], anchor: datetime, read_in: timedelta,
              windows: int) -> None:
    """Store this hour's baselines; another process storing them at the same time is no conflict."""
    conn.execute(delete(baseline_cache).where(baseline_cache.c.anchor < anchor - timedelta(hours=2)))
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    rows = [{"domain": d, "anchor": anchor, "window_seconds": int(read_in.total_seconds()), "windows": windows,
             "typical": t} for d, t in typicals.items()]
    conn.execute(dialect.insert(baseline_cache).on_conflict_do_nothing(), rows)


# --------------------------------------------------------------------------- the threshold (pure)


def baseline_window(settings: MonitorSettings) -> timedelta:
    """The windows the baseline is read in: `window` when it is whole hours, else hours (then scaled)."""
    hour = timedelta(hours=1)
    return settings.window if settings.window >= hour and settings.window % hour == timedelta(0) else hour


def windows_in_baseline(settings: MonitorSettings) -> int:
    """How many baseline windows fit in `baseline_days`."""
    return int(timedelta(days=settings.baseline_days) / baseline_window(settings))


def baseline(counts: Mapping[int, int], windows: int) -> float:
    """The typical (median) count of `windows` past windows; windows with no bounces count as zero."""
    if windows <= 0:
        return 0.0
    found = [n for index, n in counts.items() if 0 <= index < windows]
    if len(found) * 2 < windows:  # most windows are empty: the median is an empty one (and cheap)
        return 0.0
    return float(statistics.median([*found, *([0] * (windows - len(found)))]))


def threshold(typical: float, settings: MonitorSettings) -> int:
    """The count that opens an incident: alert_bounces, and markedly above what is normal for the domain."""
    return max(settings.alert_bounces, math.ceil(settings.baseline_factor * typical))


# --------------------------------------------------------------------------- helpers


def _counts_by_action(conn: Connection, domains: Sequence[str], start: datetime,
                      end: datetime) -> dict[tuple[str, str], int]:
    """(domain, action) → recipients with start <= occurred_at < end."""
    query = (select(bounces.c.domain, bounces.c.action, func.count())
             .where(bounces.c.domain.in_(list(domains)), bounces.c.occurred_at >= utc(start),
                    bounces.c.occurred_at < utc(end))
             .group_by(bounces.c.domain, bounces.c.action))
    return {(str(domain), str(action)): int(n) for domain, action, n in conn.execute(query)}


def _tally(groups: Sequence[BounceGroup], key: Callable[[BounceGroup], str | None]) -> Counter[str]:
    counter: Counter[str] = Counter()
    for group in groups:
        value = key(group)
        if value:
            counter[str(value)] += group.count
    return counter


def _largest_first(counter: Counter[str]) -> Tally:
    return tuple(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))
