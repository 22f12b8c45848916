"""Read-only store queries the Slack surfaces need: incidents by id or thread, bounce figures, mailbox health.

Called by the listeners and the notifier; writes to incidents go through bot.monitor, writes to the
outbox through bot.slack.notifier.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine

from bot.config import MonitorSettings, Settings
from bot.models import BlacklistStatus, Incident, KnownServer, SentVolume
from bot.monitor import health
from bot.monitor.listings import blacklist_status
from bot.slack.blocks import BounceFigures, IncidentLink, MailboxStatus
from bot.store import figures
from bot.store.figures import our_sending_ips, read_figures, read_volumes
from bot.store.incidents_store import get_incident, latest_checks, latest_failures, unresolved
from bot.store.ingest import folder_states
from bot.store.outbox_store import delivery_facts
from bot.store.servers_store import config_servers, known_servers_of
from bot.store.slack_messages import incident_at, location_of


def load_incident(engine: Engine, incident_id: int) -> Incident | None:
    with engine.connect() as conn:
        return get_incident(conn, incident_id)


def card_location(engine: Engine, incident_id: int) -> tuple[str, str] | None:
    """(channel, ts) of the incident's card once it has been posted."""
    with engine.connect() as conn:
        where = location_of(conn, incident_id)
    return (where.channel, where.ts) if where else None


def incident_by_thread(engine: Engine, channel: str, thread_ts: str) -> Incident | None:
    """The incident whose card is the parent of this thread."""
    with engine.connect() as conn:
        incident_id = incident_at(conn, channel, thread_ts)
        return get_incident(conn, incident_id) if incident_id is not None else None


def open_incidents(engine: Engine) -> list[Incident]:
    with engine.connect() as conn:
        return unresolved(conn)


def permalink(api_url: str, channel: str, ts: str) -> str:
    """A link to a message built from the Web API's host: only until Slack has given the card its own
    (chat.getPermalink, kept by the delivery); Slack forwards it to the workspace."""
    scheme, _, rest = api_url.partition("://")
    host = rest.split("/", 1)[0]
    return f"{scheme}://{host}/archives/{channel}/p{ts.replace('.', '')}"


def incident_link(engine: Engine, incident: Incident, api_url: str) -> IncidentLink:
    with engine.connect() as conn:
        where = location_of(conn, incident.id)
    url = (where.permalink or permalink(api_url, where.channel, where.ts)) if where else None
    return IncidentLink(incident_id=incident.id, domain=incident.domain, state=incident.state, url=url)


def bounce_figures(engine: Engine, domain: str, *, now: datetime, settings: Settings) -> BounceFigures:
    """The domain's figures from the one read model (bot/store/figures.py), shaped for the answer."""
    return bounce_figures_of(engine, [domain], now=now, settings=settings)[domain]


def bounce_figures_of(engine: Engine, domains: Sequence[str], *, now: datetime,
                      settings: Settings) -> dict[str, BounceFigures]:
    """`bounce_figures` for several domains in one read (App Home lists them all), with the bounce
    rate where a domain has a volume source."""
    with engine.connect() as conn:
        found = read_figures(conn, domains, now, settings.monitor, last_day=True)
        volumes = read_volumes(conn, domains, now, settings)
    return {d: BounceFigures(domain=d, window=f.window, in_window=f.failed, threshold=f.threshold,
                             last_24h=f.last_24h, top_reasons=f.top_reasons[:5], delayed=f.delayed,
                             volume=v if isinstance(v := volumes.get(d), SentVolume) else None,
                             volume_note=v if isinstance(v, str) else "")
            for d, f in found.items()}


def window_series(engine: Engine, domain: str, *, start: datetime, end: datetime, window: timedelta,
                  points: int = 96) -> list[tuple[datetime, int]]:
    with engine.connect() as conn:
        return figures.window_series(conn, domain, start=start, end=end, window=window, points=points)


def blacklist_statuses(engine: Engine, settings: Settings, now: datetime) -> dict[str, BlacklistStatus]:
    """Each monitored domain's blacklist status from its last check (the watch checks every domain each
    reputation_interval, so a clean check is trusted for two of them)."""
    domains = settings.monitor.domains
    with engine.connect() as conn:
        checks, failures = latest_checks(conn, domains), latest_failures(conn, domains)
    fresh = 2 * settings.schedule.reputation_interval
    return {d: blacklist_status(checks.get(d), failures.get(d), now, fresh) for d in domains}


def sending_ips(engine: Engine, domain: str, now: datetime) -> tuple[str, ...]:
    """Our IPs seen in recent bounces of our own mail: what every check of the domain adds."""
    with engine.connect() as conn:
        return our_sending_ips(conn, domain, now)


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


def delivery_problems(engine: Engine, now: datetime) -> list[str]:
    """What App Home says about posting to Slack: the same sentences as /healthz."""
    with engine.connect() as conn:
        return health.delivery_problems(delivery_facts(conn), now)
