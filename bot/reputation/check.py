"""`check_target(target, settings)`: blacklist status and SPF/DMARC posture of a domain or an IP.

What `/bouncecheck`, `bouncecheck check`, the incident recheck and the reputation watch all call:

    result = check_target("example.com", settings, bounce_ips=("192.0.2.7",))   # blocking
    result = await check_target_async("192.0.2.7", settings)                    # inside an event loop

For a domain: its sending IPs (targets.py) against the IP lists, the domain against the domain
lists, its SPF/DMARC posture; for an IP: the IP against the IP lists and its PTR. Every lookup
runs concurrently through one `Resolver` (resolver.py) built from `[dns]`, shared per settings so
its cache lasts between checks. A bad target raises UsageError (`parse_target` checks one without
any lookup); a resolver that answers nothing at all raises DNSError; a missing DQS key, ConfigError.
Everything else — a zone that times out, refuses or is broken — is a result, never an exception.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import idna

from bot.config import DNSSettings, Settings, environ, secret
from bot.errors import ConfigError, DNSError, UsageError
from bot.models import CheckResult, IPCheck, ListingStatus, Posture, Verdict, ZoneResult
from bot.reputation.dnsbl import Blacklists, ptr_name
from bot.reputation.posture import build_posture, check_dmarc
from bot.reputation.resolver import Resolver, shared_resolver
from bot.reputation.servers import LearnedServers, domain_lookups, servers_from
from bot.reputation.targets import MAX_IPS, Source, TargetIP, merge_sources, ptr
from bot.reputation.zones import ZoneType, build_catalogue

MAX_TARGET_CHARS = 320  # an email address at most; a domain name is 253
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_DQS_KEY = re.compile(r"^[a-z0-9]{8,64}$", re.IGNORECASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    value: str  # an IP in canonical form, or an ASCII (punycode) domain
    type: ZoneType


def parse_target(text: str) -> Target:
    """A domain, an IP or an email address (→ its domain); UsageError with a one-line reason."""
    raw = text.strip()
    if not raw:
        raise UsageError("empty target: give a domain, an IP address or an email address")
    if len(raw) > MAX_TARGET_CHARS:
        raise UsageError(f"target too long ({len(raw)} characters)")
    try:
        return Target(value=str(ipaddress.ip_address(raw.strip("[]"))), type=ZoneType.IP)
    except ValueError:
        pass
    domain = raw.rpartition("@")[2] if "@" in raw else raw
    if not domain:
        raise UsageError(f"{raw!r}: no domain after @")
    return Target(value=_ascii_domain(domain), type=ZoneType.DOMAIN)


def _ascii_domain(text: str) -> str:
    name = text.strip().rstrip(".")
    try:
        ascii_name = idna.encode(name, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError) as exc:
        raise UsageError(f"{text!r} is not a domain name or IP address ({exc})") from exc
    labels = ascii_name.split(".")
    if len(ascii_name) > 253:
        raise UsageError(f"domain name too long ({len(ascii_name)} characters, 253 allowed)")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise UsageError(f"{text!r} is not a domain name or IP address")
    return ascii_name


def dqs_key(dns: DNSSettings, env: Mapping[str, str]) -> str | None:
    """The Spamhaus DQS key named by `[dns] spamhaus_dqs_key_env`, or None when none is configured."""
    if not dns.spamhaus_dqs_key_env:
        return None
    key = secret(env, dns.spamhaus_dqs_key_env, "[dns] spamhaus_dqs_key_env").strip()
    if not _DQS_KEY.match(key):
        raise ConfigError(f"[dns] spamhaus_dqs_key_env: {dns.spamhaus_dqs_key_env} does not hold a DQS key "
                          "(letters and digits)")
    return key


def verdict(results: Iterable[ZoneResult], broken_zones: Iterable[str]) -> Verdict:
    """Listed if any trusted list lists it; clean only if every trusted list answered not listed (pure)."""
    broken = set(broken_zones)
    counted = [r for r in results if not r.informational and r.zone not in broken]
    if any(r.status is ListingStatus.LISTED for r in counted):
        return Verdict.LISTED
    if counted and all(r.status is ListingStatus.NOT_LISTED for r in counted):
        return Verdict.CLEAN
    return Verdict.UNKNOWN


def check_target(target: str, settings: Settings, *, bounce_ips: Sequence[str] = (),
                 resolver: Resolver | None = None, env: Mapping[str, str] | None = None) -> CheckResult:
    """Blocking entry point (runs its own event loop); async callers use `check_target_async`."""
    return asyncio.run(check_target_async(target, settings, bounce_ips=bounce_ips, resolver=resolver, env=env))


async def check_target_async(target: str, settings: Settings, *, bounce_ips: Sequence[str] = (),
                             resolver: Resolver | None = None, env: Mapping[str, str] | None = None,
                             now: datetime | None = None) -> CheckResult:
    parsed = parse_target(target)
    resolver = resolver or shared_resolver(settings.dns)
    blacklists = Blacklists(resolver, build_catalogue(settings.dns), dqs_key(settings.dns, env or environ()))
    blacklists.start_probes()
    run = _Run(resolver, blacklists)
    known = [*((ip, Source.CONFIG) for ip in _config_ips(settings, parsed)),
             *((ip, Source.BOUNCES) for ip in _valid_ips(bounce_ips))]
    if parsed.type is ZoneType.IP:
        target_ip = TargetIP(ip=parsed.value, sources=_sources_of(parsed.value, known))
        checks: tuple[IPCheck, ...] = (await run.ip(target_ip),)
        domain_results: tuple[ZoneResult, ...] = ()
        posture: Posture | None = None
    else:
        checks, domain_results, posture = await run.domain(parsed.value, known)
    if failure := await blacklists.resolver_failure():
        servers = ", ".join(settings.dns.nameservers) or "the system resolver"
        raise DNSError(f"no blacklist could be checked through {servers}: {failure}; check [dns] nameservers")
    broken = await blacklists.broken_zones()
    every = [r for c in checks for r in c.results] + list(domain_results)
    return CheckResult(
        target=parsed.value, target_type=parsed.type.value, checked_at=now or datetime.now(UTC),
        ips=checks, domain_results=domain_results, broken_zones=broken, posture=posture,
        verdict=verdict(every, broken), notes=(*run.notes, *blacklists.notes()),
        servers=run.servers.servers if run.servers else (),
        servers_answered=run.servers.answered if run.servers else (),
    )


class _Run:
    """The lookups of one domain check, started as soon as their inputs are known."""

    def __init__(self, resolver: Resolver, blacklists: Blacklists) -> None:
        self.resolver = resolver
        self.blacklists = blacklists
        self.notes: list[str] = []
        self.servers: LearnedServers | None = None
        self._jobs: dict[str, asyncio.Future[IPCheck]] = {}

    async def ip(self, target: TargetIP) -> IPCheck:
        results, name = await asyncio.gather(self.blacklists.check(target.ip, ZoneType.IP),
                                             ptr(self.resolver, ptr_name(target.ip)))
        return IPCheck(ip=target.ip, sources=target.sources, ptr=name, results=results)

    async def domain(self, domain: str, known: list[tuple[str, Source]]
                     ) -> tuple[tuple[IPCheck, ...], tuple[ZoneResult, ...], Posture]:
        listed = asyncio.ensure_future(self.blacklists.check(domain, ZoneType.DOMAIN))
        dmarc = asyncio.ensure_future(check_dmarc(self.resolver, domain))
        for target in merge_sources(known):
            self._start(target.ip)
        lookups = await domain_lookups(self.resolver, domain, on_address=self._start)
        self.servers = servers_from(lookups, datetime.now(UTC))
        spf = lookups.spf
        found = [*known, *((ip, Source.SPF) for ip in spf.addresses), *((ip, Source.MX) for ip in lookups.mx_ips)]
        if not lookups.mx.values:  # RFC 5321 §5.1: no MX → the domain's own address is its mail host
            found += [(ip, Source.A) for ip in lookups.own_ips]
        targets = merge_sources(found)
        for target in targets:
            self._start(target.ip, force=True)
        unused = [job for ip, job in self._jobs.items() if ip not in {t.ip for t in targets}]
        for job in unused:
            job.cancel()
        done = await asyncio.gather(*(self._jobs[t.ip] for t in targets))
        checks = tuple(replace(check, sources=t.sources) for check, t in zip(done, targets, strict=True))
        await asyncio.gather(*unused, return_exceptions=True)
        self._note_walk(domain, spf.networks, len({ip for ip, _ in found}), checks)
        return checks, await listed, build_posture(domain, spf, await dmarc)

    def _start(self, ip: str, *, force: bool = False) -> None:
        """Start an IP's lookups the moment the IP is known (up to MAX_IPS before the walk ends)."""
        ip = str(ipaddress.ip_address(ip))
        if ip not in self._jobs and (force or len(self._jobs) < MAX_IPS):
            self._jobs[ip] = asyncio.ensure_future(self.ip(TargetIP(ip=ip, sources=())))

    def _note_walk(self, domain: str, networks: Sequence[str], found: int, checked: Sequence[IPCheck]) -> None:
        if networks:
            self.notes.append(f"SPF of {domain} lists {len(networks)} network(s) (e.g. {networks[0]}); "
                              "only single addresses are checked")
        if found > len(checked):
            self.notes.append(f"{found} sending IPs found; the first {MAX_IPS} are checked")
        if not checked:
            self.notes.append(f"no sending IPs found for {domain} (no SPF addresses, MX or A records)")


def _sources_of(ip: str, known: Iterable[tuple[str, Source]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s.value for address, s in known if address == ip))


def _config_ips(settings: Settings, target: Target) -> list[str]:
    """`[monitor] sending_ips` (single addresses) apply to our own domains, or to an IP that is one of them."""
    ips = [ip for ip in settings.monitor.sending_ips if "/" not in ip]
    if target.type is ZoneType.IP:
        return [ip for ip in ips if ip == target.value]
    return ips if target.value in settings.monitor.domains else []


def _valid_ips(ips: Iterable[str]) -> list[str]:
    valid = []
    for ip in ips:
        try:
            valid.append(str(ipaddress.ip_address(ip.strip())))
        except ValueError:
            continue
    return valid
