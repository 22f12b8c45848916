"""DNSBL/RHSBL lookups: RFC 5782 query names, answers read with the zone's code table, sanity probes.

Four outcomes per (target, zone): listed, not_listed, error, timeout; an error or a timeout is
never shown as clean or as listed, and says why in `ZoneResult.problem`. A zone that fails its
sanity probe has its answers reported as errors, never as listings; when every zone fails its
probe the same way, the resolver is at fault rather than the lists (`resolver_fault`). All lookups
of a check run concurrently, each with its own timeout. Called by check.py through `Blacklists`;
the naming and reading functions are pure.
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from bot.models import ListingStatus, ZoneResult
from bot.reputation.resolver import Lookup, LookupStatus, Resolver
from bot.reputation.zones import (
    PROBE_UNLISTED,
    PROBE_WILDCARD_LABEL,
    Note,
    Reading,
    Zone,
    ZoneType,
    explain,
    listed_probe,
    read_code,
)

PROBE_OK_SECONDS = 3600.0  # research §5: at most one probe set per zone per hour
PROBE_BROKEN_SECONDS = 900.0
# One zone failing its probe may be a dead list; with a single zone we cannot tell it from the resolver.
MIN_ZONES_FOR_FAULT = 2


# --------------------------------------------------------------------------- names (pure)


def reverse_labels(ip: str) -> str:
    """RFC 5782 §2.1/§2.4: IPv4 octets reversed; IPv6 as 32 reversed nibbles.

    Written out rather than taken from dns.reversename, which turns an IPv4-mapped IPv6 address
    (::ffff:192.0.2.1) into the IPv4 name; a list of IPv6 entries wants all 32 nibbles.
    """
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv4Address):
        return ".".join(reversed(str(address).split(".")))
    return ".".join(reversed(address.packed.hex()))


def ip_query_name(ip: str, zone: str) -> str:
    return f"{reverse_labels(ip)}.{zone}"


def domain_query_name(domain: str, zone: str) -> str:
    return f"{domain.rstrip('.').lower()}.{zone}"


def ptr_name(ip: str) -> str:
    suffix = "in-addr.arpa" if ipaddress.ip_address(ip).version == 4 else "ip6.arpa"
    return f"{reverse_labels(ip)}.{suffix}"


def query_name(zone: Zone, target: str, query_zone: str) -> str:
    if zone.type is ZoneType.IP:
        return ip_query_name(target, query_zone)
    return domain_query_name(target, query_zone)


# --------------------------------------------------------------------------- reading (pure)


def read_lookup(zone: Zone, target: str, lookup: Lookup, txt: str = "") -> tuple[ZoneResult, tuple[Note, ...]]:
    """A lookup of `target` in `zone` → the result to show, and the notes its error codes carry."""
    base = ZoneResult(zone=zone.zone, list=zone.name, status=ListingStatus.ERROR,
                      delist_url=zone.delist_for(target), informational=zone.informational)
    match lookup.status:
        case LookupStatus.NXDOMAIN | LookupStatus.NODATA:
            return replace(base, status=ListingStatus.NOT_LISTED), ()
        case LookupStatus.TIMEOUT:
            return replace(base, status=ListingStatus.TIMEOUT, meaning=lookup.error, problem=lookup.failure), ()
        case LookupStatus.ERROR:
            return replace(base, meaning=f"lookup failed: {lookup.error}", problem=lookup.failure), ()
    codes = [read_code(zone, value) for value in lookup.values]
    errors = [c for c in codes if c.reading is Reading.ERROR]
    listed = [c for c in codes if c.reading is Reading.LISTED]
    shown = errors or listed or codes
    status = (ListingStatus.ERROR if errors else ListingStatus.LISTED if listed else ListingStatus.NOT_LISTED)
    meaning = "; ".join(dict.fromkeys(c.meaning for c in shown))
    notes = tuple(dict.fromkeys(c.note for c in errors if c.note is not Note.NONE))
    return replace(base, status=status, codes=tuple(sorted(lookup.values, key=_numeric)), meaning=meaning,
                   txt=txt if status is ListingStatus.LISTED else "",
                   problem=meaning if status is ListingStatus.ERROR else ""), notes


def _numeric(answer: str) -> tuple[int, str]:
    try:
        return int(ipaddress.ip_address(answer)), answer
    except ValueError:
        return -1, answer


class ProbeStatus(StrEnum):
    OK = "ok"
    BROKEN = "broken"  # answers for names it cannot list, or does not list its test entry
    INCONCLUSIVE = "inconclusive"  # timeout, server failure or refusal: answers cannot be trusted


class ProbeFailure(StrEnum):
    """How a broken zone failed its probe: every zone failing the same way points at the resolver."""

    NONE = ""
    TEST_ENTRY_NXDOMAIN = "test_entry_nxdomain"
    TEST_ENTRY_NODATA = "test_entry_nodata"
    LISTS_ANYTHING = "lists_anything"  # answers for its not-listed entry or a random name


# What the resolver does when every zone failed its probe in this way (the sentence's verb phrase).
RESOLVER_FAULTS = {
    ProbeFailure.TEST_ENTRY_NXDOMAIN: "answers NXDOMAIN for every blacklist's test entry",
    ProbeFailure.TEST_ENTRY_NODATA: "answers no address for any blacklist's test entry",
    ProbeFailure.LISTS_ANYTHING: "answers every blacklist query, even for names no list lists",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Probe:
    zone: str
    status: ProbeStatus
    reason: str = ""
    failure: ProbeFailure = ProbeFailure.NONE


def judge_probes(zone: Zone, listed: Lookup, unlisted: Lookup, wildcard: Lookup) -> Probe:
    """RFC 5782 §5: the test entry must be listed, the not-listed entry and a random name must not."""
    for lookup in (listed, unlisted, wildcard):
        if lookup.status in (LookupStatus.TIMEOUT, LookupStatus.ERROR):
            return Probe(zone=zone.zone, status=ProbeStatus.INCONCLUSIVE,
                         reason=f"probe {lookup.status.value}: {lookup.error}")
        errors = [c for c in (read_code(zone, v) for v in lookup.values) if c.reading is Reading.ERROR]
        if errors:  # a refusal (127.255.255.254, URIBL 127.0.0.1) says nothing about the zone itself
            return Probe(zone=zone.zone, status=ProbeStatus.INCONCLUSIVE,
                         reason=f"probe answered {', '.join(lookup.values)}: {errors[0].meaning}")
    for lookup, what in ((unlisted, PROBE_UNLISTED[zone.type]), (wildcard, "a random never-listed name")):
        if lookup.found:
            return Probe(zone=zone.zone, status=ProbeStatus.BROKEN, failure=ProbeFailure.LISTS_ANYTHING,
                         reason=f"answers {', '.join(lookup.values)} for {what}: dead or wildcard zone")
    if not listed.found:
        failure = (ProbeFailure.TEST_ENTRY_NXDOMAIN if listed.status is LookupStatus.NXDOMAIN
                   else ProbeFailure.TEST_ENTRY_NODATA)
        return Probe(zone=zone.zone, status=ProbeStatus.BROKEN, failure=failure,
                     reason=f"does not list its test entry {listed_probe(zone)}: dead or not a blacklist")
    return Probe(zone=zone.zone, status=ProbeStatus.OK)


def resolver_fault(probes: Sequence[Probe]) -> str:
    """What the resolver does wrong when every zone failed its probe the same way, else "" (pure).

    Lists die one at a time and each in its own way; a resolver that answers NXDOMAIN for every
    name (or blocks blacklist zones) fails all their probes at once, identically.
    """
    failures = {probe.failure for probe in probes}
    if len(probes) < MIN_ZONES_FOR_FAULT or len(failures) != 1:
        return ""
    return RESOLVER_FAULTS.get(failures.pop(), "")


def trust(result: ZoneResult, probe: Probe, fault: str = "") -> ZoneResult:
    """A zone's answer as shown once its probe is known: unprobed answers are errors, not verdicts.

    `fault` is `resolver_fault()` of the check: then the answer is the resolver's, not the list's.
    """
    if result.status in (ListingStatus.ERROR, ListingStatus.TIMEOUT):
        return result
    if fault:
        return replace(result, status=ListingStatus.ERROR, txt="", problem="resolver at fault",
                       meaning=f"answer not trusted ({result.status.value}): the resolver {fault}")
    if probe.status is ProbeStatus.OK:
        return result
    if probe.status is ProbeStatus.BROKEN:
        why, problem = "zone failed its sanity probe", f"zone broken by its sanity probe: it {probe.reason}"
    else:
        why = "sanity probe inconclusive"
        problem = f"{why}: {probe.reason}"
    return replace(result, status=ListingStatus.ERROR, txt="", problem=problem,
                   meaning=f"answer not trusted ({result.status.value}): {why}: {probe.reason}")


# --------------------------------------------------------------------------- lookups (I/O)


class Blacklists:
    """One check's worth of blacklist lookups; probes start once per zone and are cached on the resolver."""

    def __init__(self, resolver: Resolver, zones: tuple[Zone, ...], dqs_key: str | None = None) -> None:
        self._resolver = resolver
        self._zones = zones
        self._dqs_key = dqs_key
        self._probes: dict[str, asyncio.Task[Probe]] = {}
        self._notes: dict[str, None] = {}

    def zones(self, kind: ZoneType) -> tuple[Zone, ...]:
        return tuple(z for z in self._zones if z.type is kind)

    def start_probes(self) -> None:
        """Start every zone's probe now, so it runs alongside the SPF/MX walk."""
        for zone in self._zones:
            self._probe(zone)

    async def check(self, target: str, kind: ZoneType) -> tuple[ZoneResult, ...]:
        """`target` (an IP or a domain) against every zone of that type, all at once."""
        zones = self.zones(kind)
        return tuple(await asyncio.gather(*(self._check_one(zone, target) for zone in zones)))

    async def broken_zones(self) -> tuple[str, ...]:
        """Zones whose sanity probe failed, unless the resolver is at fault; why each failed goes to `notes()`."""
        probes = await self._all_probes()
        if resolver_fault(probes):
            return ()
        broken = [p for p in probes if p.status is ProbeStatus.BROKEN]
        for probe in broken:
            self._notes[f"{probe.zone} ignored: it {probe.reason}"] = None
        return tuple(p.zone for p in broken)

    async def resolver_failure(self) -> str | None:
        """Why no zone could be probed at all (the resolver itself is down or refusing), else None."""
        probes = await self._all_probes()
        if probes and all(p.status is ProbeStatus.INCONCLUSIVE for p in probes):
            return probes[0].reason
        return None

    async def resolver_fault(self) -> str:
        """What the resolver does wrong if every zone failed its probe the same way, else ""."""
        return resolver_fault(await self._all_probes())

    async def _all_probes(self) -> list[Probe]:
        return list(await asyncio.gather(*(self._probe(zone) for zone in self._zones)))

    def notes(self) -> tuple[str, ...]:
        return tuple(self._notes)

    async def _check_one(self, zone: Zone, target: str) -> ZoneResult:
        query_zone = zone.query_zone(self._dqs_key)
        name = query_name(zone, target, query_zone)
        answer = await self._resolver.query(name, "A", zone=query_zone)
        result, notes = read_lookup(zone, target, answer)
        if result.status is ListingStatus.LISTED and zone.fetch_txt:
            txt = await self._resolver.query(name, "TXT", zone=query_zone)
            result, notes = read_lookup(zone, target, answer, " ".join(txt.values))
        for note in notes:
            self._notes[explain(note, zone)] = None
        probe = await self._probe(zone)
        return trust(result, probe, await self.resolver_fault())

    def _probe(self, zone: Zone) -> asyncio.Task[Probe]:
        if zone.zone not in self._probes:
            self._probes[zone.zone] = asyncio.ensure_future(self._run_probe(zone))
        return self._probes[zone.zone]

    async def _run_probe(self, zone: Zone) -> Probe:
        query_zone = zone.query_zone(self._dqs_key)
        cached = self._resolver.probes.get(query_zone)
        if cached and cached[0] > time.monotonic():
            probe: Probe = cached[1]
            return probe
        names = (listed_probe(zone), PROBE_UNLISTED[zone.type], f"{PROBE_WILDCARD_LABEL}-{secrets.token_hex(4)}")
        lookups = await asyncio.gather(*(
            self._resolver.query(_probe_name(zone, n, query_zone), "A", zone=query_zone) for n in names))
        probe = judge_probes(zone, *lookups)
        if probe.status is not ProbeStatus.INCONCLUSIVE:
            ttl = PROBE_OK_SECONDS if probe.status is ProbeStatus.OK else PROBE_BROKEN_SECONDS
            self._resolver.probes[query_zone] = (time.monotonic() + ttl, probe)
        return probe


def _probe_name(zone: Zone, probe: str, query_zone: str) -> str:
    if zone.type is ZoneType.IP and probe[0].isdigit():
        return ip_query_name(probe, query_zone)
    return domain_query_name(probe, query_zone)
