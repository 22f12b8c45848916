"""Read-only store queries the Slack surfaces need: incidents by id or thread, bounce figures, mailbox health.

Called by the listeners and the notifier; writes to incidents go through bot.monitor, writes to the
outbox through bot.slack.notifier.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, func, select

from bot.config import MonitorSettings
from bot.models import Incident, KnownServer
from bot.slack.blocks import BounceFigures, IncidentLink, MailboxStatus
from bot.store.incidents_store import get_incident, unresolved
from bot.store.ingest import folder_states
from bot.store.rates_queries import utc_or_none
from bot.store.schema import bounces, incidents
from bot.store.servers_store import config_servers, known_servers_of


def load_incident(engine: Engine, incident_id: int) -> Incident | None:
    with engine.connect() as conn:
        return get_incident(conn, incident_id)


def card_location(engine: Engine, incident_id: int) -> tuple[str, str] | None:
    """(channel, ts) of the incident's card once it has been posted."""
    with engine.connect() as conn:
        row = conn.execute(
            select(incidents.c.slack_channel, incidents.c.slack_ts).where(incidents.c.id == incident_id)
        ).first()
    if row is None or not row.slack_channel or not row.slack_ts:
        return None
    return str(row.slack_channel), str(row.slack_ts)


def incident_by_thread(engine: Engine, channel: str, thread_ts: str) -> Incident | None:
    """The incident whose card is the parent of this thread."""
    with engine.connect() as conn:
        incident_id = conn.scalar(
            select(incidents.c.id).where(incidents.c.slack_channel == channel, incidents.c.slack_ts == thread_ts)
        )
        return get_incident(conn, int(incident_id)) if incident_id is not None else None


def open_incidents(engine: Engine) -> list[Incident]:
    with engine.connect() as conn:
        return unresolved(conn)


def permalink(api_url: str, channel: str, ts: str) -> str:
    """A link to a message, on the same Slack host the Web API lives on (GovSlack, a stand-in)."""
    scheme, _, rest = api_url.partition("://")
    host = rest.split("/", 1)[0]
    return f"{scheme}://{host}/archives/{channel}/p{ts.replace('.', '')}"


def incident_link(engine: Engine, incident: Incident, api_url: str) -> IncidentLink:
    where = card_location(engine, incident.id)
    return IncidentLink(
        incident_id=incident.id,
        domain=incident.domain,
        state=incident.state,
        url=permalink(api_url, *where) if where else None,
    )


def bounce_figures(engine: Engine, domain: str, *, now: datetime, window: timedelta, threshold: int) -> BounceFigures:
    with engine.connect() as conn:

        def between(start: datetime) -> ColumnElement[bool]:
            return (bounces.c.domain == domain) & (bounces.c.occurred_at > start) & (bounces.c.occurred_at <= now)

        in_window = conn.scalar(select(func.count()).select_from(bounces).where(between(now - window))) or 0
        last_24h = conn.scalar(select(func.count()).select_from(bounces).where(between(now - timedelta(days=1)))) or 0
        reasons = conn.execute(
            select(bounces.c.reason, func.count().label("n"))
            .where(between(now - window))
            .group_by(bounces.c.reason)
            .order_by(func.count().desc())
            .limit(5)
        ).all()
    return BounceFigures(
        domain=domain,
        window=window,
        in_window=int(in_window),
        threshold=threshold,
        last_24h=int(last_24h),
        top_reasons=tuple((str(r), int(n)) for r, n in reasons),
    )


def window_series(
    engine: Engine, domain: str, *, start: datetime, end: datetime, window: timedelta, points: int = 96
) -> list[tuple[datetime, int]]:
    """Bounces in the sliding window at `points` moments from start to end, for the chart."""
    with engine.connect() as conn:
        stamps = sorted(
            t
            for t in (
                utc_or_none(v)
                for v in conn.scalars(
                    select(bounces.c.occurred_at).where(
                        bounces.c.domain == domain,
                        bounces.c.occurred_at > start - window,
                        bounces.c.occurred_at <= end,
                    )
                )
            )
            if t is not None
        )
    step = (end - start) / max(1, points - 1)
    series = []
    for n in range(points):
        moment = start + step * n
        series.append((moment, bisect.bisect_right(stamps, moment) - bisect.bisect_right(stamps, moment - window)))
    return series


def servers_by_domain(engine: Engine, monitor: MonitorSettings) -> dict[str, tuple[KnownServer, ...]]:
    """Each monitored domain's servers: the config's, then what was learned (DNS, our own mail)."""
    with engine.connect() as conn:
        learned = known_servers_of(conn, monitor.domains)
    configured = tuple(config_servers(monitor))
    return {domain: (*configured, *(s for s in learned if s.domain == domain)) for domain in monitor.domains}


def mailbox_statuses(engine: Engine) -> list[MailboxStatus]:
    with engine.connect() as conn:
        states = folder_states(conn)
    return [
        MailboxStatus(name=state.mailbox, folder=state.folder, last_scan_at=state.last_scan_at,
                      last_error=state.last_error, last_error_at=state.last_error_at)
        for state in states
    ]


def domain_incidents(engine: Engine, domains: Sequence[str]) -> list[tuple[str, Incident | None]]:
    """Each monitored domain with its open incident, if any."""
    by_domain = {i.domain: i for i in open_incidents(engine)}
    return [(d, by_domain.get(d)) for d in domains]


def open_incident_of(engine: Engine, domain: str) -> Incident | None:
    return next((i for i in open_incidents(engine) if i.domain == domain), None)


def bounce_ips(engine: Engine, domain: str, *, since: datetime, limit: int = 8) -> list[str]:
    """Where our own bounced mail entered the Internet lately: the sending IPs worth checking."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(bounces.c.first_hop_ip, func.count().label("n"))
            .where(
                bounces.c.domain == domain,
                bounces.c.occurred_at > since,
                bounces.c.ours.is_(True),
                bounces.c.first_hop_ip.is_not(None),
            )
            .group_by(bounces.c.first_hop_ip)
            .order_by(func.count().desc())
            .limit(limit)
        ).all()
    return [str(ip) for ip, _ in rows]
