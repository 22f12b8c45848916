"""Our servers, learned from DNS: what a domain's mail leaves through, so a bounce can be told ours or forged.

A domain's SPF record (includes, `a`, `mx`, ranges), its MX hosts and their addresses, its own
address when it has no MX (RFC 5321 implicit MX), and the PTR names of its SPF addresses. Called by
check.py (every domain check learns them on the way, its blacklist lookups sharing the answers) and
by `learn_servers` for the scanner when nothing is stored yet. A source whose lookups failed is
reported in `problems` and left out of `answered`, so the store keeps what it learned before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.config import Settings
from bot.models import KnownServer, ServerKind, ServerSource
from bot.reputation.dnsbl import ptr_name
from bot.reputation.resolver import Lookup, LookupStatus, Resolver, shared_resolver
from bot.reputation.targets import MAX_IPS, OnAddress, SpfWalk, mx_addresses, ptr, walk_spf

_FAILED = (LookupStatus.TIMEOUT, LookupStatus.ERROR)


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainLookups:
    """The raw answers about one domain's mail hosts (check.py reads them for its targets and posture)."""

    domain: str
    spf: SpfWalk
    mx: Lookup
    mx_ips: tuple[str, ...]
    own_ips: tuple[str, ...] = ()
    own_failed: bool = False
    ptr_names: tuple[tuple[str, str], ...] = ()  # (SPF address, its PTR name)


@dataclass(frozen=True, slots=True, kw_only=True)
class LearnedServers:
    domain: str
    learned_at: datetime
    servers: tuple[KnownServer, ...]
    answered: tuple[ServerSource, ...]  # sources whose lookups answered: their stored rows are replaced
    problems: tuple[str, ...] = ()  # one sentence per source that could not be looked up


async def domain_lookups(resolver: Resolver, domain: str, on_address: OnAddress = None) -> DomainLookups:
    """SPF walk, MX hosts and the domain's own address, all at once; then PTR names of the SPF addresses."""
    spf, (mx_ips, mx), (own_ips, own_failed) = await asyncio.gather(
        walk_spf(resolver, domain, on_address=on_address),
        mx_addresses(resolver, domain, on_address=on_address),
        _own_addresses(resolver, domain))
    names = await asyncio.gather(*(ptr(resolver, ptr_name(ip)) for ip in spf.addresses[:MAX_IPS]))
    return DomainLookups(domain=domain, spf=spf, mx=mx, mx_ips=mx_ips, own_ips=own_ips, own_failed=own_failed,
                         ptr_names=tuple((ip, name) for ip, name in zip(spf.addresses, names, strict=False) if name))


async def _own_addresses(resolver: Resolver, domain: str) -> tuple[tuple[str, ...], bool]:
    """The domain's A and AAAA, and whether both lookups failed (rather than found nothing)."""
    four, six = await asyncio.gather(resolver.query(domain, "A"), resolver.query(domain, "AAAA"))
    return (*four.values, *six.values), four.status in _FAILED and six.status in _FAILED


def servers_from(lookups: DomainLookups, now: datetime) -> LearnedServers:
    """What the lookups say our servers are, with the source of each (pure)."""
    domain, spf, mx = lookups.domain, lookups.spf, lookups.mx
    found: list[tuple[ServerKind, str, ServerSource]] = []
    answered: list[ServerSource] = []
    problems: list[str] = []
    if spf.temporary_error:
        problems.append(f"SPF of {domain}: {spf.temporary_error}")
    else:
        answered.append(ServerSource.SPF)
        found += [(ServerKind.IP, ip, ServerSource.SPF) for ip in spf.addresses]
        found += [(ServerKind.NETWORK, net, ServerSource.SPF) for net in spf.networks]
        found += [(ServerKind.HOST, host, ServerSource.SPF) for host in spf.hosts]
        found += [(ServerKind.HOST, name.lower().rstrip("."), ServerSource.SPF) for _, name in lookups.ptr_names]
        problems += [f"SPF of {domain}: {error}" for error in spf.errors if "temperror" in error]
    if mx.status in _FAILED:
        problems.append(f"MX of {domain}: lookup {mx.status.value}{': ' + mx.error if mx.error else ''}")
    else:
        answered.append(ServerSource.MX)
        found += [(ServerKind.HOST, host, ServerSource.MX) for host in mx.values if host]
        found += [(ServerKind.IP, ip, ServerSource.MX) for ip in lookups.mx_ips]
    if not mx.values and mx.status not in _FAILED:  # RFC 5321 §5.1: no MX → the domain's own address
        if lookups.own_failed:
            problems.append(f"address of {domain}: lookup failed")
        else:
            answered.append(ServerSource.A)
            found += [(ServerKind.IP, ip, ServerSource.A) for ip in lookups.own_ips]
    servers = tuple(KnownServer(kind=kind, value=value, source=source, domain=domain, learned_at=now)
                    for kind, value, source in dict.fromkeys(found))
    return LearnedServers(domain=domain, learned_at=now, servers=servers, answered=tuple(answered),
                          problems=tuple(problems))


async def learn_servers_async(resolver: Resolver, domains: Iterable[str], now: datetime) -> list[LearnedServers]:
    found = await asyncio.gather(*(domain_lookups(resolver, domain) for domain in domains))
    return [servers_from(lookups, now) for lookups in found]


def learn_servers(domains: Iterable[str], settings: Settings, now: datetime | None = None) -> list[LearnedServers]:
    """Blocking: learn every domain's servers through `[dns]` (the scanner's first contact)."""
    resolver = shared_resolver(settings.dns)
    return asyncio.run(learn_servers_async(resolver, list(domains), now or datetime.now(UTC)))
