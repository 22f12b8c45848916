"""`check_target(target, settings)`: blacklist status and SPF/DMARC posture of a domain or an IP.

What `/bouncecheck`, `bouncecheck check`, the incident recheck and the reputation watch all call:

    result = check_target("example.com", settings, bounce_ips=("192.0.2.7",))   # blocking
    result = await check_target_async("192.0.2.7", settings)                    # inside an event loop

For a domain: its sending IPs (targets.py) against the IP lists, the domain against the domain
lists, its SPF/DMARC posture; for an IP: the IP against the IP lists and its PTR. Every lookup
runs concurrently through one `Resolver` (resolver.py) built from `[dns]`, shared per settings so
its cache lasts between checks. A bad target raises UsageError (`parse_target` checks one without
any lookup); a resolver that answers nothing at all raises DNSError; a missing DQS key, ConfigError.
Everything else — a zone that times out, refuses or is broken, a resolver whose answers fail every
probe alike, a failed SPF/MX/DMARC lookup, an address no blocklist can list — is a result, never an
exception: the verdict is then unknown and `CheckResult.problems` says why, one sentence each.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import urlsplit

from bot.config import DNSSettings, Settings, ascii_domain, environ, secret
from bot.errors import ConfigError, DNSError, UsageError
from bot.models import CheckResult, IPCheck, ListingStatus, Posture, Verdict, ZoneResult
from bot.reputation.dnsbl import Blacklists, ptr_name
from bot.reputation.posture import Dmarc, build_posture, check_dmarc
from bot.reputation.resolver import Resolver, shared_resolver
from bot.reputation.servers import DomainLookups, LearnedServers, domain_lookups, servers_from
from bot.reputation.targets import MAX_IPS, Source, TargetIP, canonical_ip, merge_sources, ptr, remembered_walk
from bot.reputation.zones import ZoneType, build_catalogue

MAX_TARGET_CHARS = 320  # an email address at most; a domain name is 253
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_DQS_KEY = re.compile(r"^[a-z0-9]{8,64}$", re.IGNORECASE)
_SHOWN_TARGETS = 3  # per problem sentence: "192.0.2.10, 192.0.2.20, 192.0.2.30 and 4 more"

# Addresses no blocklist lists (IANA special-purpose registries, RFC 6890), first match wins; ""
# means checkable. The documentation ranges (RFC 5737, RFC 3849) are never routed either, but
# stay checkable on purpose: the test suite and the demo use them as stand-ins for public
# addresses, and a real sender never has one.
_SPECIAL_ADDRESSES: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = tuple(
    (ipaddress.ip_network(network), what) for network, what in (
        ("192.0.2.0/24", ""), ("198.51.100.0/24", ""), ("203.0.113.0/24", ""), ("2001:db8::/32", ""),
        ("0.0.0.0/8", "\"this network\", RFC 1122"),
        ("10.0.0.0/8", "private network, RFC 1918"),
        ("100.64.0.0/10", "carrier-grade NAT space, RFC 6598"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private network, RFC 1918"),
        ("192.0.0.0/24", "IETF protocol assignments, RFC 6890"),
        ("192.168.0.0/16", "private network, RFC 1918"),
        ("198.18.0.0/15", "benchmarking, RFC 2544"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved, RFC 1112"),  # with 255.255.255.255, the limited broadcast
        ("::/128", "unspecified address"),
        ("::1/128", "loopback"),
        ("64:ff9b::/96", ""),  # NAT64 (RFC 6052): the public IPv4 Internet, seen through a translator
        ("64:ff9b:1::/48", "local-use NAT64, RFC 8215"),
        ("100::/64", "discard-only, RFC 6666"),
        ("2001:2::/48", "benchmarking, RFC 5180"),
        ("fc00::/7", "unique local address, RFC 4193"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local, RFC 3879"),
        ("ff00::/8", "multicast"),
    ))
_GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")  # RFC 4291: the rest of IPv6 is unassigned


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    value: str  # an IP in canonical form, or an ASCII (punycode) domain
    type: ZoneType


def parse_target(text: str) -> Target:
    """A domain, an IP or an email address (→ its domain), also pasted as a URL or as Slack's
    `<url|label>` link (→ its host); UsageError with a one-line reason in plain words."""
    raw = text.strip()
    if not raw:
        raise UsageError(f"empty target: {_WHAT_FITS}")
    if len(raw) > MAX_TARGET_CHARS:
        raise UsageError(f"target too long ({len(raw)} characters)")
    raw = _host_of(raw)
    try:
        return Target(value=canonical_ip(raw.strip("[]")), type=ZoneType.IP)
    except ValueError:
        pass
    domain = raw.rpartition("@")[2] if "@" in raw else raw
    if not domain:
        raise UsageError(f"{raw!r}: no domain after @")
    return Target(value=_ascii_domain(domain), type=ZoneType.DOMAIN)

_WHAT_FITS = "give a domain (example.com), an IP address (192.0.2.1, 2001:db8::1) or an email address"


def _host_of(raw: str) -> str:
    """What was pasted, down to what can be checked: a URL's host ("https://example.com/x",
    "example.com/x"), a mailto's address."""
    if raw.lower().startswith("mailto:"):
        return raw[len("mailto:"):].partition("?")[0]
    if "://" in raw or ("/" in raw and "@" not in raw):
        try:
            host = urlsplit(raw if "://" in raw else f"//{raw}").hostname
        except ValueError:  # "http://[not-an-ip]/"
            host = None
        if not host:
            raise UsageError(f"{raw!r} is a URL without a host: {_WHAT_FITS}")
        return host
    return raw


def _ascii_domain(text: str) -> str:
    name = text.strip().rstrip(".")
    if len(name) > 253:
        raise UsageError(f"domain name too long ({len(name)} characters, 253 allowed)")
    try:
        ascii_name = ascii_domain(name)  # the config reads its domains the same way
    except ValueError as exc:  # idna's words name code points: say ours instead
        raise _not_a_target(text) from exc
    labels = ascii_name.split(".")
    if len(ascii_name) > 253:
        raise UsageError(f"domain name too long ({len(ascii_name)} characters, 253 allowed)")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise _not_a_target(text)
    return ascii_name


def _not_a_target(text: str) -> UsageError:
    stray = dict.fromkeys("a space" if c.isspace() else repr(c) for c in text if not (c.isalnum() or c in ".-"))
    why = f" ({', '.join(stray)} cannot be part of one)" if stray else ""
    return UsageError(f"{text!r} is not a domain name or IP address{why}: {_WHAT_FITS}")


def dqs_key(dns: DNSSettings, env: Mapping[str, str]) -> str | None:
    """The Spamhaus DQS key named by `[dns] spamhaus_dqs_key_env`, or None when none is configured."""
    if not dns.spamhaus_dqs_key_env:
        return None
    key = secret(env, dns.spamhaus_dqs_key_env, "[dns] spamhaus_dqs_key_env").strip()
    if not _DQS_KEY.match(key):
        raise ConfigError(f"[dns] spamhaus_dqs_key_env: {dns.spamhaus_dqs_key_env} does not hold a DQS key "
                          "(letters and digits)")
    return key


def not_public(ip: str) -> str:
    """What `ip` is if no blocklist can list it ("private network, RFC 1918"), else "" (pure)."""
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
    for network, what in _SPECIAL_ADDRESSES:
        if address in network:
            return what
    if isinstance(address, ipaddress.IPv6Address) and address not in _GLOBAL_UNICAST_V6:
        return "reserved IPv6 space, outside 2000::/3"
    return ""


def verdict(results: Iterable[ZoneResult], broken_zones: Iterable[str], problems: Sequence[str] = ()) -> Verdict:
    """Listed if any trusted list lists it; clean only if every trusted list answered not listed and
    nothing else (`problems`: a failed lookup of the domain, a resolver at fault) left a doubt (pure)."""
    broken = set(broken_zones)
    counted = [r for r in results if not r.informational and r.zone not in broken]
    if any(r.status is ListingStatus.LISTED for r in counted):
        return Verdict.LISTED
    if counted and not problems and all(r.status is ListingStatus.NOT_LISTED for r in counted):
        return Verdict.CLEAN
    return Verdict.UNKNOWN


def not_public_problem(ip: str, what: str) -> str:
    return f"{ip} is not a public address: blocklists do not list it ({what})"


def fault_problem(resolver: str, fault: str, domain: str | None) -> str:
    """The one sentence for a resolver whose answers failed every zone's probe alike (pure)."""
    own = f", and what it says does not exist at {domain} cannot be trusted either" if domain else ""
    return f"{resolver} {fault}: it is at fault, not the lists{own}; point [dns] nameservers at a working resolver"


def lookup_problems(lookups: DomainLookups, dmarc: Dmarc) -> list[str]:
    """One sentence per lookup of the domain itself that got no answer (pure).

    NXDOMAIN and NODATA are answers; SERVFAIL, REFUSED and timeouts are not. The domain's own
    A/AAAA count only when no MX host is known, the only time its mail goes there (RFC 5321 §5.1).
    """
    domain, spf, mx = lookups.domain, lookups.spf, lookups.mx
    problems = []
    if spf.temporary_error:
        problems.append(f"SPF lookup of {domain}: {spf.lookup_failure or spf.temporary_error}")
    problems += [f"SPF of {domain}: {error}" for error in spf.errors if "temperror" in error]
    if mx.failed:
        problems.append(f"MX lookup of {domain}: {mx.failure}")
    if lookups.own_failed and not mx.values:
        problems.append(f"A and AAAA lookups of {domain} failed")
    if dmarc.lookup_failure:
        problems.append(f"DMARC lookup of {domain}: {dmarc.lookup_failure}")
    return problems


def zone_problems(target: str, checks: Iterable[IPCheck], domain_results: Iterable[ZoneResult],
                  broken_zones: Iterable[str]) -> list[str]:
    """One sentence per list that gave no usable answer, naming whom it was asked about (pure).

    Informational and broken zones count for no verdict, so they leave no doubt either; without
    any list left to ask, that is the doubt.
    """
    broken = set(broken_zones)
    asked = [*((c.ip, r) for c in checks for r in c.results), *((target, r) for r in domain_results)]
    counted = [(who, r) for who, r in asked if not r.informational and r.zone not in broken]
    failed: dict[tuple[str, str], list[str]] = {}
    for who, r in counted:
        if r.status in (ListingStatus.ERROR, ListingStatus.TIMEOUT):
            failed.setdefault((r.list or r.zone, r.problem or r.status.value), []).append(who)
    problems = [f"{name} could not be checked for {_some(whom)}: {problem}" for (name, problem), whom in failed.items()]
    if not counted:
        problems.append(f"no working blocklist was left to check {target}" + (" (see broken zones)" if broken else ""))
    return problems


def _some(items: Sequence[str]) -> str:
    shown = ", ".join(items[:_SHOWN_TARGETS])
    return shown + (f" and {len(items) - _SHOWN_TARGETS} more" if len(items) > _SHOWN_TARGETS else "")


def _resolver_name(dns: DNSSettings) -> str:
    if not dns.nameservers:
        return "the system resolver"
    return ("the resolver " if len(dns.nameservers) == 1 else "the resolvers ") + ", ".join(dns.nameservers)


def check_target(target: str, settings: Settings, *, bounce_ips: Sequence[str] = (),
                 resolver: Resolver | None = None, env: Mapping[str, str] | None = None) -> CheckResult:
    """Blocking entry point (runs its own event loop); async callers use `check_target_async`."""
    return asyncio.run(check_target_async(target, settings, bounce_ips=bounce_ips, resolver=resolver, env=env))


async def check_target_async(target: str, settings: Settings, *, bounce_ips: Sequence[str] = (),
                             resolver: Resolver | None = None, env: Mapping[str, str] | None = None,
                             now: datetime | None = None) -> CheckResult:
    parsed = parse_target(target)
    key = dqs_key(settings.dns, env or environ())
    checked_at = now or datetime.now(UTC)
    known = [*((ip, Source.CONFIG) for ip in _config_ips(settings, parsed)),
             *((ip, Source.BOUNCES) for ip in _valid_ips(bounce_ips))]
    if parsed.type is ZoneType.IP and (what := not_public(parsed.value)):
        # Nothing to ask anyone: no blocklist lists 10.0.0.1, and "not listed" would read as a ✅.
        return CheckResult(target=parsed.value, target_type=parsed.type.value, checked_at=checked_at,
                           ips=(IPCheck(ip=parsed.value, sources=_sources_of(parsed.value, known)),),
                           problems=(not_public_problem(parsed.value, what),), not_public=((parsed.value, what),))
    resolver = resolver or shared_resolver(settings.dns)
    blacklists = Blacklists(resolver, build_catalogue(settings.dns), key)
    blacklists.start_probes()
    run = _Run(resolver, blacklists)
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
    if fault := await blacklists.resolver_fault():  # every list failed alike: one sentence, not one per list
        domain = parsed.value if parsed.type is ZoneType.DOMAIN else None
        problems = [fault_problem(_resolver_name(settings.dns), fault, domain), *run.problems]
    else:
        problems = [*run.problems, *zone_problems(parsed.value, checks, domain_results, broken)]
    every = [r for c in checks for r in c.results] + list(domain_results)
    return CheckResult(
        target=parsed.value, target_type=parsed.type.value, checked_at=checked_at,
        ips=checks, domain_results=domain_results, broken_zones=broken, posture=posture,
        verdict=verdict(every, broken, problems), notes=(*run.notes, *blacklists.notes()),
        servers=run.servers.servers if run.servers else (),
        # What a resolver at fault did not find must not replace what the store learned before.
        servers_answered=run.servers.answered if run.servers and not fault else (),
        problems=tuple(problems),
        not_public=tuple((c.ip, what) for c in checks if (what := not_public(c.ip))),
    )


class _Run:
    """The lookups of one domain check, started as soon as their inputs are known."""

    def __init__(self, resolver: Resolver, blacklists: Blacklists) -> None:
        self.resolver = resolver
        self.blacklists = blacklists
        self.notes: list[str] = []
        self.problems: list[str] = []  # the domain's own lookups that got no answer
        self.servers: LearnedServers | None = None
        self._jobs: dict[str, asyncio.Future[IPCheck]] = {}

    async def ip(self, target: TargetIP) -> IPCheck:
        if not_public(target.ip):  # an SPF ip4:10.0.0.1, a bounce's internal hop: never asked about
            return IPCheck(ip=target.ip, sources=target.sources)
        results, name = await asyncio.gather(self.blacklists.check(target.ip, ZoneType.IP),
                                             ptr(self.resolver, ptr_name(target.ip)))
        return IPCheck(ip=target.ip, sources=target.sources, ptr=name, results=results)

    async def domain(self, domain: str, known: list[tuple[str, Source]]
                     ) -> tuple[tuple[IPCheck, ...], tuple[ZoneResult, ...], Posture]:
        listed = asyncio.ensure_future(self.blacklists.check(domain, ZoneType.DOMAIN))
        dmarc = asyncio.ensure_future(check_dmarc(self.resolver, domain))
        for target in merge_sources(known):
            self._start(target.ip)
        if shape := remembered_walk(self.resolver, domain):  # what SPF listed last time, checked meanwhile
            for ip in shape.addresses:
                self._start(ip)
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
        # Each zone's answers already waited for every probe, so this costs no extra wait.
        fault = await self.blacklists.resolver_fault()
        self.problems = lookup_problems(lookups, await dmarc)
        self._note_walk(domain, spf.networks, len({ip for ip, _ in found}), checks,
                        complete=not (fault or self.problems))
        posture = build_posture(domain, spf, await dmarc, distrust="resolver at fault" if fault else "")
        return checks, await listed, posture

    def _start(self, ip: str, *, force: bool = False) -> None:
        """Start an IP's lookups the moment the IP is known (up to MAX_IPS before the walk ends)."""
        ip = canonical_ip(ip)
        if ip not in self._jobs and (force or len(self._jobs) < MAX_IPS):
            self._jobs[ip] = asyncio.ensure_future(self.ip(TargetIP(ip=ip, sources=())))

    def _note_walk(self, domain: str, networks: Sequence[str], found: int, checked: Sequence[IPCheck], *,
                   complete: bool) -> None:
        if networks:
            self.notes.append(f"SPF of {domain} lists {len(networks)} network(s) (e.g. {networks[0]}); "
                              "only single addresses are checked")
        if found > len(checked):
            self.notes.append(f"{found} sending IPs found; the first {MAX_IPS} are checked")
        if not checked and complete:  # else the lookups that failed are the problem, not a missing record
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
            valid.append(canonical_ip(ip.strip()))
        except ValueError:
            continue
    return valid

