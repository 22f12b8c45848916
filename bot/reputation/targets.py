"""A domain → the IPs it sends from, and where each came from; an IP → its PTR name.

Sources: `[monitor] sending_ips` (config), the SPF record with include/a/mx/redirect expanded
within RFC 7208's 10-lookup limit (spf), the MX hosts' A/AAAA (mx), the domain's own A/AAAA when
it has no MX (a, RFC 5321 implicit MX) and the IPs cited in its recent bounces (bounces). Called by
check.py; every lookup goes through `Resolver`, and independent lookups run concurrently.

The SPF walk is ours rather than checkdmarc's: checkdmarc expands includes one after another with
blocking calls (each include waits for the previous one), and we want every lookup that can run
in parallel in flight together. checkdmarc's SPF grammar is private, so syntax is checked here
with the small term table below; the posture shows the walk's result.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.reputation.resolver import Lookup, LookupStatus, Resolver

MAX_SPF_LOOKUPS = 10  # RFC 7208 §4.6.4
MAX_VOID_LOOKUPS = 2  # RFC 7208 §4.6.4
MAX_MX_HOSTS = 10  # RFC 7208 §4.6.4, for the mx mechanism
MAX_IPS = 16  # per check: enough for a sending cluster, not a provider's whole range

OnAddress = Callable[[str], None] | None
Place = tuple[int, ...]  # where in the records (term index at each include level) an item was named


class Source(StrEnum):
    CONFIG = "config"
    BOUNCES = "bounces"
    SPF = "spf"
    MX = "mx"
    A = "a"


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetIP:
    ip: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SpfTerm:
    qualifier: str  # "+", "-", "~", "?"
    name: str  # "ip4", "include", "all", ..., or a modifier name ("redirect")
    value: str = ""
    modifier: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class SpfWalk:
    record: str | None = None
    all_qualifier: str | None = None  # of the record, or of its redirect target: "-all", "~all", ...
    lookups: int = 0
    void_lookups: int = 0
    addresses: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()  # ip4/ip6 ranges: too wide to check address by address
    hosts: tuple[str, ...] = ()  # the host names its a: and mx terms name
    errors: tuple[str, ...] = ()  # permerror reasons (syntax, limits, missing includes)
    temporary_error: str = ""  # temperror: the record could not be fetched
    lookup_failure: str = ""  # and why, for a sentence: "SERVFAIL", "timeout (no answer within 2s)"


# --------------------------------------------------------------------------- SPF terms (pure)

_MECHANISMS = frozenset({"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"})
_COUNTED = frozenset({"include", "a", "mx", "ptr", "exists", "redirect"})  # RFC 7208 §4.6.4
_NEEDS_VALUE = frozenset({"include", "exists", "ip4", "ip6"})
_TERM = re.compile(r"^([+\-~?]?)([a-z][a-z0-9_.\-]*)(.*)$", re.IGNORECASE)
_DOMAIN_SPEC = re.compile(r"^[^/]*")


def is_spf(text: str) -> bool:
    return text.lower() == "v=spf1" or text.lower().startswith("v=spf1 ")


def parse_spf_term(term: str) -> SpfTerm:
    """One SPF term → its parts; ValueError with a readable reason for a bad one."""
    match = _TERM.match(term)
    if not match:
        raise ValueError(f"bad SPF term {term!r}")
    qualifier, name, rest = match.group(1) or "+", match.group(2).lower(), match.group(3)
    if rest.startswith("=") and not match.group(1):
        return SpfTerm(qualifier="+", name=name, value=rest[1:], modifier=True)
    if name not in _MECHANISMS:
        raise ValueError(f"unknown SPF mechanism {term!r}")
    if (rest and not rest.startswith((":", "/"))) or (rest.startswith("/") and name not in {"a", "mx"}):
        raise ValueError(f"bad SPF term {term!r}")
    value = rest[1:] if rest.startswith(":") else rest
    if name in _NEEDS_VALUE and not value:
        raise ValueError(f"{name} needs a value: {term!r}")
    if name == "all" and value:
        raise ValueError(f"all takes no value: {term!r}")
    if name in {"ip4", "ip6"}:
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValueError(f"bad address in {term!r}") from None
        if network.version != int(name[-1]):
            raise ValueError(f"wrong address family in {term!r}")
    return SpfTerm(qualifier=qualifier, name=name, value=value)


def domain_spec(term: SpfTerm, current: str) -> str:
    """The domain an a/mx/include/redirect term names (`a/24` → the current domain)."""
    spec = _DOMAIN_SPEC.match(term.value)
    return (spec.group(0) if spec and spec.group(0) else current).rstrip(".").lower()


def merge_sources(found: Iterable[tuple[str, Source]], limit: int = MAX_IPS) -> tuple[TargetIP, ...]:
    """(ip, source) pairs → one entry per IP with all its sources, first-found order, capped."""
    sources: dict[str, dict[str, None]] = {}
    for ip, source in found:
        key = canonical_ip(ip)
        if key in sources or len(sources) < limit:
            sources.setdefault(key, {})[source.value] = None
    return tuple(TargetIP(ip=ip, sources=tuple(s)) for ip, s in sources.items())


def canonical_ip(text: str) -> str:
    """An IP as the blocklists know it: "::ffff:192.0.2.1" is the IPv4 address, which IPv4 lists are
    asked about (in its IPv6 form no list would ever name it: a ✅ nobody could back)."""
    address = ipaddress.ip_address(text)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


# --------------------------------------------------------------------------- lookups (I/O)


async def spf_records(resolver: Resolver, domain: str) -> tuple[tuple[str, ...], Lookup]:
    lookup = await resolver.query(domain, "TXT")
    return tuple(t for t in lookup.values if is_spf(t)), lookup


async def host_addresses(resolver: Resolver, host: str) -> tuple[tuple[str, ...], bool]:
    """A and AAAA together → (addresses, void: neither exists)."""
    four, six = await asyncio.gather(resolver.query(host, "A"), resolver.query(host, "AAAA"))
    return (*four.values, *six.values), not (four.found or six.found)


async def mx_addresses(resolver: Resolver, domain: str, on_address: OnAddress = None
                       ) -> tuple[tuple[str, ...], Lookup]:
    """The MX hosts' addresses, all hosts at once; the MX lookup itself for its status."""
    mx = await resolver.query(domain, "MX")
    hosts = [h for h in mx.values if h]  # "." is a null MX (RFC 7505): no host
    found = await asyncio.gather(*(host_addresses(resolver, h) for h in hosts))
    addresses = tuple(a for addresses, _ in found for a in addresses)
    for address in addresses if on_address else ():
        on_address(address)  # type: ignore[misc]
    return addresses, mx


async def ptr(resolver: Resolver, name: str) -> str | None:
    lookup = await resolver.query(name, "PTR")
    return lookup.values[0] if lookup.values else None


@dataclass(slots=True)
class _SpfState:
    on_address: OnAddress = None
    lookups: int = 0
    void: int = 0
    # Each found item keeps its place in the records (term index path), so the walk reports them in
    # RFC 7208's depth-first order whatever order the parallel answers arrive in: which addresses a
    # check keeps under its limits must not depend on DNS timing.
    addresses: dict[str, Place] = field(default_factory=dict)
    networks: dict[str, Place] = field(default_factory=dict)
    hosts: dict[str, Place] = field(default_factory=dict)
    records: dict[str, None] = field(default_factory=dict)  # include/redirect domains whose SPF was fetched
    mx_domains: dict[str, None] = field(default_factory=dict)  # domains of mx terms, whose MX was fetched
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class WalkShape:
    """What a domain's last SPF walk fetched and found, remembered on the resolver for the next check."""

    records: tuple[str, ...]  # include/redirect domains (their TXT)
    mx_domains: tuple[str, ...]  # domains of mx terms (their MX)
    hosts: tuple[str, ...]  # a:/mx hosts (their A and AAAA)
    addresses: tuple[str, ...]


def remembered_walk(resolver: Resolver, domain: str) -> WalkShape | None:
    shape = resolver.walks.get(domain)
    return shape if isinstance(shape, WalkShape) else None


async def walk_spf(resolver: Resolver, domain: str, on_address: OnAddress = None) -> SpfWalk:
    """Fetch and expand `domain`'s SPF record; every include of a level is fetched at once.

    `on_address` hears of each address as soon as it is found, so its blacklist lookups can start
    before the rest of the walk is done.
    """
    prefetch = _prefetch(resolver, domain)
    try:
        return await _walk(resolver, domain, on_address)
    finally:
        for job in prefetch:  # a name the record no longer includes was asked for nothing: forget it
            job.cancel()
        await asyncio.gather(*prefetch, return_exceptions=True)


def _prefetch(resolver: Resolver, domain: str) -> list[asyncio.Future[Lookup]]:
    """Ask at once for every name the last walk of `domain` needed: an include chain is otherwise one
    query time per level, and the walk finds them cached or in flight (the resolver joins them)."""
    shape = remembered_walk(resolver, domain)
    if shape is None:
        return []
    asks = [*((name, "TXT") for name in shape.records), *((name, "MX") for name in shape.mx_domains),
            *((host, rdtype) for host in shape.hosts for rdtype in ("A", "AAAA"))]
    return [asyncio.ensure_future(resolver.query(name, rdtype)) for name, rdtype in asks]


async def _walk(resolver: Resolver, domain: str, on_address: OnAddress) -> SpfWalk:
    records, lookup = await spf_records(resolver, domain)
    if lookup.status in (LookupStatus.TIMEOUT, LookupStatus.ERROR):
        return SpfWalk(temporary_error=f"SPF lookup {lookup.status.value}: {lookup.error}",
                       lookup_failure=lookup.failure)
    if not records:
        return SpfWalk()
    if len(records) > 1:
        return SpfWalk(record=records[0], errors=(f"{len(records)} SPF records; RFC 7208 allows one",))
    state = _SpfState(on_address=on_address)
    qualifier = await _expand(resolver, state, domain, records[0], seen=frozenset({domain}), at=())
    if not any("temperror" in error for error in state.errors):  # a partial walk would forget names
        resolver.walks[domain] = WalkShape(records=tuple(state.records), mx_domains=tuple(state.mx_domains),
                                           hosts=_in_place(state.hosts), addresses=_in_place(state.addresses))
    if state.lookups > MAX_SPF_LOOKUPS:
        state.errors.append(f"{state.lookups} DNS lookups; RFC 7208 allows {MAX_SPF_LOOKUPS} (permerror)")
    if state.void > MAX_VOID_LOOKUPS:
        state.errors.append(f"{state.void} void lookups; RFC 7208 allows {MAX_VOID_LOOKUPS} (permerror)")
    return SpfWalk(record=records[0], all_qualifier=qualifier, lookups=state.lookups, void_lookups=state.void,
                   addresses=_in_place(state.addresses), networks=_in_place(state.networks),
                   hosts=_in_place(state.hosts), errors=tuple(state.errors))


def _in_place(found: dict[str, Place]) -> tuple[str, ...]:
    return tuple(sorted(found, key=found.__getitem__))


def _place(found: dict[str, Place], item: str, place: Place) -> None:
    """Keep the earliest place an item is named at (an address may be named twice)."""
    if item not in found or place < found[item]:
        found[item] = place


async def _expand(resolver: Resolver, state: _SpfState, domain: str, record: str,
                  seen: frozenset[str], at: Place) -> str | None:
    """Read one record's terms; expand its lookups concurrently; return its `all` (or its redirect's)."""
    terms = []
    for text in record.split()[1:]:
        try:
            terms.append(parse_spf_term(text))
        except ValueError as exc:
            state.errors.append(f"{domain}: {exc}")
    has_all = any(t.name == "all" and not t.modifier for t in terms)
    jobs: list[Coroutine[Any, Any, object]] = []
    redirect_job = None
    for index, term in enumerate(terms):
        place = (*at, index)
        counted = term.name in _COUNTED and (not term.modifier or term.name == "redirect")
        if counted:
            # Lookups are numbered as records are read; with includes fetched in parallel that is
            # breadth-first order, close to (not exactly) RFC 7208's depth-first evaluation order.
            state.lookups += 1
            if state.lookups > MAX_SPF_LOOKUPS:
                continue
        target = domain_spec(term, domain)
        if "%" in target:
            state.errors.append(f"{domain}: macro in {term.name}:{term.value} not expanded")
            continue
        if term.modifier and term.name == "redirect" and not has_all:
            redirect_job = _include(resolver, state, target, seen, place)
        elif term.modifier:
            continue
        elif term.name in {"ip4", "ip6"}:
            _add_range(state, term.value, place)
        elif term.name == "a":
            jobs.append(_a(resolver, state, target, place))
        elif term.name == "mx":
            jobs.append(_mx(resolver, state, target, place))
        elif term.name == "include":
            jobs.append(_include(resolver, state, target, seen, place))
    qualifiers = await asyncio.gather(*jobs, *([redirect_job] if redirect_job else []))
    if has_all:
        term = next(t for t in terms if t.name == "all" and not t.modifier)
        return f"{term.qualifier}all"
    return str(qualifiers[-1]) if redirect_job and qualifiers[-1] else None


def _add_range(state: _SpfState, value: str, place: Place) -> None:
    network = ipaddress.ip_network(value, strict=False)
    if network.num_addresses == 1:
        _found(state, (str(network.network_address),), place)
    else:
        _place(state.networks, str(network), place)


async def _a(resolver: Resolver, state: _SpfState, host: str, place: Place) -> None:
    addresses, void = await host_addresses(resolver, host)
    state.void += void
    if not void:
        _place(state.hosts, host, place)
    _found(state, addresses, place)


async def _mx(resolver: Resolver, state: _SpfState, domain: str, place: Place) -> None:
    state.mx_domains[domain] = None
    mx = await resolver.query(domain, "MX")
    state.void += not mx.found
    if len(mx.values) > MAX_MX_HOSTS:
        state.errors.append(f"{domain}: mx has {len(mx.values)} hosts; RFC 7208 allows {MAX_MX_HOSTS}")
    hosts = [h for h in mx.values[:MAX_MX_HOSTS] if h]
    found = await asyncio.gather(*(host_addresses(resolver, h) for h in hosts))
    for rank, (host, (addresses, void)) in enumerate(zip(hosts, found, strict=True)):
        if not void:
            _place(state.hosts, host, (*place, rank))
        _found(state, addresses, (*place, rank))


def _found(state: _SpfState, addresses: Iterable[str], place: Place) -> None:
    for rank, address in enumerate(addresses):
        _place(state.addresses, address, (*place, rank))
        if state.on_address:
            state.on_address(address)


async def _include(resolver: Resolver, state: _SpfState, domain: str, seen: frozenset[str],
                   place: Place) -> str | None:
    if domain in seen:
        state.errors.append(f"include loop at {domain}")
        return None
    state.records[domain] = None
    records, lookup = await spf_records(resolver, domain)
    if lookup.status in (LookupStatus.TIMEOUT, LookupStatus.ERROR):
        state.errors.append(f"{domain}: SPF lookup {lookup.status.value} (temperror)")
        return None
    if len(records) != 1:
        state.void += not lookup.found
        state.errors.append(f"{domain}: {'no' if not records else len(records)} SPF record(s) (permerror)")
        return None
    return await _expand(resolver, state, domain, records[0], seen | {domain}, at=place)
