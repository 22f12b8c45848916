"""Our servers as the store knows them: learned from DNS per domain, and seen in bounces of our own mail.

Written by the reputation watch and the scanner's first contact (`save_learned`) and by the scanner
(`add_seen`, in the batch's transaction); read into the `Ownership` the parser judges origin with
(`ownership`), and shown by `bouncecheck check` and App Home (`known_servers`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

from sqlalchemy import Connection, delete, select

from bot.config import MonitorSettings
from bot.models import KnownServer, Ownership, ServerKind, ServerSource
from bot.store.rates_queries import utc
from bot.store.schema import known_servers

DNS_SOURCES = (ServerSource.SPF, ServerSource.MX, ServerSource.A)


def save_learned(conn: Connection, domain: str, servers: Iterable[KnownServer],
                 answered: Collection[ServerSource], at: datetime) -> None:
    """Replace what DNS said for `domain` with the new answers, source by source.

    A source whose lookup failed is not in `answered`: what it said before stays, so a resolver
    outage never makes the bot forget its servers.
    """
    replaced = [str(source) for source in answered if source in DNS_SOURCES]
    if not replaced:
        return
    conn.execute(delete(known_servers).where(known_servers.c.domain == domain,
                                             known_servers.c.source.in_(replaced)))
    rows = {(str(s.kind), s.value[:255], str(s.source)) for s in servers if str(s.source) in replaced}
    if rows:
        conn.execute(known_servers.insert(), [{"domain": domain, "kind": kind, "value": value, "source": source,
                                               "learned_at": utc(at)} for kind, value, source in sorted(rows)])


def add_seen(conn: Connection, servers: Iterable[KnownServer], at: datetime,
             source: ServerSource = ServerSource.BOUNCES) -> None:
    """Names seen in bounces of our own mail (source `bounces`) or in our MTA's log (`logs`); seen
    again, their time moves on."""
    for server in {(s.domain, str(s.kind), s.value[:255]) for s in servers if s.domain}:
        domain, kind, value = server
        key = (known_servers.c.domain == domain, known_servers.c.kind == kind, known_servers.c.value == value,
               known_servers.c.source == source.value)
        if conn.execute(known_servers.update().where(*key).values(learned_at=utc(at))).rowcount == 0:
            conn.execute(known_servers.insert().values(domain=domain, kind=kind, value=value,
                                                       source=source.value, learned_at=utc(at)))


def known_servers_of(conn: Connection, domains: Sequence[str] | None = None) -> list[KnownServer]:
    query = select(known_servers).order_by(known_servers.c.domain, known_servers.c.kind, known_servers.c.value)
    if domains is not None:
        query = query.where(known_servers.c.domain.in_(list(domains)))
    return [KnownServer(kind=ServerKind(row.kind), value=row.value, source=ServerSource(row.source),
                        domain=row.domain, learned_at=utc(row.learned_at)) for row in conn.execute(query)]


def domains_not_learned(conn: Connection, domains: Sequence[str]) -> list[str]:
    """The domains for which DNS never told us anything (the scanner learns them before judging)."""
    query = (select(known_servers.c.domain).distinct()
             .where(known_servers.c.domain.in_(list(domains)),
                    known_servers.c.source.in_([s.value for s in DNS_SOURCES])))
    learned = set(conn.scalars(query))
    return [domain for domain in domains if domain not in learned]


def config_servers(monitor: MonitorSettings) -> list[KnownServer]:
    """What `[monitor]` names, in the same shape as what was learned."""
    ips = [KnownServer(kind=ServerKind.NETWORK if "/" in ip else ServerKind.IP, value=ip, source=ServerSource.CONFIG)
           for ip in monitor.sending_ips]
    hosts = [KnownServer(kind=ServerKind.HOST, value=h, source=ServerSource.CONFIG) for h in monitor.sending_hosts]
    dkim = [KnownServer(kind=ServerKind.DKIM, value=d, source=ServerSource.CONFIG) for d in monitor.dkim_domains]
    return [*ips, *hosts, *dkim]


def with_learned(base: Ownership, learned: Iterable[KnownServer]) -> Ownership:
    """`base` plus the learned servers: what the parser judges ours / forged with (pure)."""
    every = list(learned)

    def values(known: tuple[str, ...], *kinds: ServerKind) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*known, *(s.value for s in every if s.kind in kinds)]))

    return Ownership(domains=base.domains, sending_ips=values(base.sending_ips, ServerKind.IP, ServerKind.NETWORK),
                     sending_hosts=values(base.sending_hosts, ServerKind.HOST),
                     dkim_domains=values(base.dkim_domains, ServerKind.DKIM),
                     message_id_hosts=values(base.message_id_hosts, ServerKind.MESSAGE_ID_HOST))


def ownership(conn: Connection, base: Ownership) -> Ownership:
    """`base` (the config's) with everything the store learned for its domains."""
    return with_learned(base, known_servers_of(conn, base.domains))
