"""The one DNS resolver every lookup of the bot goes through, built from `[dns]` settings.

Blacklists, SPF, MX, DMARC and PTR lookups all use `Resolver.query` (async, dnspython); checkdmarc
gets `Resolver.sync_resolver()`, which shares the same nameservers, timeout and TTL cache. Each
lookup ends in one of five outcomes (`LookupStatus`); dnspython errors never escape as exceptions.
Callers: dnsbl.py, targets.py, posture.py; `shared_resolver()` keeps the cache between checks.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import dns._asyncbackend
import dns.asyncquery
import dns.asyncresolver
import dns.exception
import dns.inet
import dns.message
import dns.name
import dns.nameserver
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.resolver

from bot.config import DNSSettings
from bot.errors import DNSError
from bot.metrics import DNS_LOOKUPS

CACHE_SIZE = 10_000
RESEND_SECONDS = 1.0  # an unanswered UDP query is sent again this often, so a lost packet is retried


class LookupStatus(StrEnum):
    ANSWER = "answer"
    NXDOMAIN = "nxdomain"
    NODATA = "nodata"  # the name exists, without records of this type
    TIMEOUT = "timeout"
    ERROR = "error"  # SERVFAIL, REFUSED, malformed reply, network error


@dataclass(frozen=True, slots=True, kw_only=True)
class Lookup:
    name: str
    rdtype: str
    status: LookupStatus
    values: tuple[str, ...] = ()  # addresses; TXT strings joined; MX hosts by preference; PTR names
    error: str = ""

    @property
    def found(self) -> bool:
        return self.status is LookupStatus.ANSWER

    @property
    def failed(self) -> bool:
        """No answer at all: the name may or may not exist (unlike NXDOMAIN and NODATA)."""
        return self.status in (LookupStatus.TIMEOUT, LookupStatus.ERROR)

    @property
    def failure(self) -> str:
        """Why a failed lookup failed, for a sentence: "SERVFAIL", "timeout (no answer within 2s)"; else ""."""
        if self.status is LookupStatus.TIMEOUT:
            return f"timeout ({self.error})" if self.error else "timeout"
        if self.status is LookupStatus.ERROR:
            return self.error or "lookup failed"
        return ""


def parse_nameserver(text: str) -> PatientNameserver:
    """'127.0.0.1:5353' or '192.0.2.53' or '::1' (IPv6 without a port) → a dnspython nameserver."""
    host, _, port = text.rpartition(":") if text.count(":") == 1 else (text, "", "")
    return PatientNameserver(host, int(port) if port else 53)


class PatientNameserver(dns.nameserver.Do53Nameserver):
    """A plain DNS server asked over one UDP socket per attempt, the query re-sent every RESEND_SECONDS.

    dnspython opens a new socket for every retry, so an answer later than its per-attempt timeout is
    thrown away and each retry is delayed again: a resolver that always takes 1.2 s never answered,
    whatever `[dns] timeout` said. Here one attempt may last the whole lookup; a lost packet is still
    re-sent after a second, and an answer to any earlier send of the same query counts.
    TCP (after a truncated answer) is dnspython's own.
    """

    def query(self, request: dns.message.QueryMessage, timeout: float, source: str | None, source_port: int,
              max_size: bool, one_rr_per_rrset: bool = False, ignore_trailing: bool = False) -> dns.message.Message:
        if max_size:
            return super().query(request, timeout, source, source_port, max_size, one_rr_per_rrset, ignore_trailing)
        af = dns.inet.af_for_address(self.address)
        deadline = time.monotonic() + timeout
        with dns.query.make_socket(af, socket.SOCK_DGRAM, _source(af, source, source_port)) as sock:
            while True:
                wait = min(RESEND_SECONDS, deadline - time.monotonic())
                try:
                    return dns.query.udp(request, self.address, timeout=wait, port=self.port, sock=sock,
                                         raise_on_truncation=True, ignore_errors=True, ignore_unexpected=True,
                                         one_rr_per_rrset=one_rr_per_rrset, ignore_trailing=ignore_trailing)
                except dns.exception.Timeout:
                    if _last_send(wait, deadline):
                        raise

    async def async_query(self, request: dns.message.QueryMessage, timeout: float, source: str | None,
                          source_port: int, max_size: bool, backend: dns._asyncbackend.Backend,
                          one_rr_per_rrset: bool = False, ignore_trailing: bool = False) -> dns.message.Message:
        if max_size:
            return await super().async_query(request, timeout, source, source_port, max_size, backend,
                                             one_rr_per_rrset, ignore_trailing)
        af = dns.inet.af_for_address(self.address)
        # dnspython's async backends carry no annotations
        connected = backend.datagram_connection_required()  # type: ignore[no-untyped-call]
        peer = (self.address, self.port) if connected else None
        deadline = time.monotonic() + timeout
        source_tuple = _source(af, source, source_port)
        async with await backend.make_socket(af, socket.SOCK_DGRAM, 0, source_tuple, peer) as sock:  # type: ignore[no-untyped-call]
            while True:
                wait = min(RESEND_SECONDS, deadline - time.monotonic())
                try:
                    return await dns.asyncquery.udp(
                        request, self.address, timeout=wait, port=self.port, sock=sock, raise_on_truncation=True,
                        ignore_errors=True, ignore_unexpected=True, one_rr_per_rrset=one_rr_per_rrset,
                        ignore_trailing=ignore_trailing)
                except dns.exception.Timeout:
                    if _last_send(wait, deadline):
                        raise


def _last_send(wait: float, deadline: float) -> bool:
    """Whether the send just timed out had the rest of the attempt (else the query is sent again)."""
    return wait < RESEND_SECONDS or time.monotonic() >= deadline


def _source(af: int, address: str | None, port: int) -> tuple[str, int] | None:
    if address is None and port == 0:
        return None
    return (address or ("::" if af == socket.AF_INET6 else "0.0.0.0"), port)


def _patient(server: str | dns.nameserver.Nameserver, port: int) -> str | dns.nameserver.Nameserver:
    """resolv.conf's servers made patient too (DoH/DoT servers are left as they are)."""
    if isinstance(server, str) and dns.inet.is_address(server):
        return PatientNameserver(server, port)
    if type(server) is dns.nameserver.Do53Nameserver:
        return PatientNameserver(server.address, server.port)
    return server


class RateLimiter:
    """Token bucket per zone: a bounce flood must never become a query flood.

    Holds no asyncio primitives, so one limiter serves checks run in different event loops.
    """

    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = per_second
        self._burst = max(1.0, per_second)
        self._clock = clock
        self._state: dict[str, tuple[float, float]] = {}  # key → (tokens, at)
        self._lock = threading.Lock()

    def reserve(self, key: str) -> float:
        """Take one token; the number of seconds to wait before using it."""
        with self._lock:
            now = self._clock()
            tokens, at = self._state.get(key, (self._burst, now))
            tokens = min(self._burst, tokens + (now - at) * self._rate) - 1.0
            self._state[key] = (tokens, now)
        return 0.0 if tokens >= 0 else -tokens / self._rate

    async def acquire(self, key: str) -> None:
        wait = self.reserve(key)
        if wait > 0:
            await asyncio.sleep(wait)


class Resolver:
    """dnspython's async resolver with our settings, a shared TTL cache and per-zone rate limits."""

    def __init__(self, settings: DNSSettings) -> None:
        self.timeout = settings.timeout.total_seconds()
        self.cache = dns.resolver.LRUCache(CACHE_SIZE)
        self.limiter = RateLimiter(settings.queries_per_second_per_zone)
        self.probes: dict[str, tuple[float, Any]] = {}  # dnsbl.py's probe cache: key → (expires, result)
        # targets.py's memory of each domain's last SPF walk (the names it fetched, the addresses it
        # found): the next check asks for them all at once instead of one include level at a time.
        self.walks: dict[str, Any] = {}
        self._answers: dict[tuple[str, str], tuple[float, Lookup]] = {}  # a fast front to `cache`
        # Lookups being made, per event loop: a second ask for the same name joins the first.
        self._in_flight: dict[tuple[int, str, str], asyncio.Future[Lookup]] = {}
        self._nameservers = [parse_nameserver(ns) for ns in settings.nameservers]
        self._async = dns.asyncresolver.Resolver(configure=False)
        self._configure(self._async)

    def _configure(self, resolver: dns.resolver.BaseResolver) -> None:
        if self._nameservers:
            resolver.nameservers = list(self._nameservers)
        else:
            try:
                resolver.read_resolv_conf("/etc/resolv.conf")
            except (OSError, dns.exception.DNSException) as exc:
                raise DNSError(f"no [dns] nameservers configured and the system resolver is unusable: {exc}") \
                    from exc
            resolver.nameservers = [_patient(server, resolver.port) for server in resolver.nameservers]
        # One attempt per server, each with an equal share of the lookup: a slow server may take all
        # of its share (PatientNameserver re-sends within it), and one that never answers leaves the
        # others theirs.
        resolver.timeout = self.timeout / max(1, len(resolver.nameservers))
        resolver.lifetime = self.timeout
        resolver.cache = self.cache
        resolver.search = []
        resolver.use_search_by_default = False

    def sync_resolver(self) -> dns.resolver.Resolver:
        """A blocking resolver for libraries that want one (checkdmarc); same servers, same cache."""
        resolver = dns.resolver.Resolver(configure=False)
        self._configure(resolver)
        return resolver

    async def query(self, name: str, rdtype: str, *, zone: str | None = None) -> Lookup:
        """One lookup with its own timeout; `zone` names the rate-limit bucket (blacklist queries).

        Answers and NXDOMAIN/NODATA are served from the cache until their TTL runs out; timeouts
        and server failures are not cached, so the next check asks again.
        """
        key = (name.lower(), rdtype)
        cached = self._answers.get(key)
        if cached is not None and cached[0] > time.time():
            return cached[1]
        flight = (id(asyncio.get_running_loop()), *key)
        pending = self._in_flight.get(flight)
        if pending is None:
            pending = self._in_flight[flight] = asyncio.ensure_future(self._lookup(key, name, rdtype, zone))
            pending.add_done_callback(lambda _done: self._in_flight.pop(flight, None))
        # Shielded: one asker giving up (a cancelled check) does not cancel it for the others.
        return await asyncio.shield(pending)

    async def _lookup(self, key: tuple[str, str], name: str, rdtype: str, zone: str | None) -> Lookup:
        if zone is not None:
            await self.limiter.acquire(zone)
        lookup = await self._resolve(name, rdtype)
        DNS_LOOKUPS.labels(lookup.status.value).inc()
        if lookup.status in (LookupStatus.ANSWER, LookupStatus.NXDOMAIN, LookupStatus.NODATA):
            self._remember(key, lookup)
        return lookup

    def _remember(self, key: tuple[str, str], lookup: Lookup) -> None:
        """Keep a lookup as long as dnspython's cache keeps its answer (the record's TTL, RFC 2308 for negatives)."""
        qname = dns.name.from_text(key[0])
        for rdtype in (dns.rdatatype.from_text(key[1]), dns.rdatatype.ANY):
            entry = self.cache.get((qname, rdtype, dns.rdataclass.IN))
            if entry is not None:
                if len(self._answers) >= CACHE_SIZE:
                    self._answers.clear()
                self._answers[key] = (entry.expiration, lookup)
                return

    async def _resolve(self, name: str, rdtype: str) -> Lookup:
        try:
            answer = await self._async.resolve(dns.name.from_text(name), rdtype, search=False,
                                               lifetime=self.timeout)
        except dns.resolver.NXDOMAIN:
            return Lookup(name=name, rdtype=rdtype, status=LookupStatus.NXDOMAIN)
        except dns.resolver.NoAnswer:
            return Lookup(name=name, rdtype=rdtype, status=LookupStatus.NODATA)
        except dns.exception.Timeout:
            return Lookup(name=name, rdtype=rdtype, status=LookupStatus.TIMEOUT,
                          error=f"no answer within {self.timeout:g}s")
        except dns.resolver.NoNameservers as exc:
            return Lookup(name=name, rdtype=rdtype, status=LookupStatus.ERROR, error=_server_failure(exc))
        except (dns.exception.DNSException, OSError) as exc:
            return Lookup(name=name, rdtype=rdtype, status=LookupStatus.ERROR, error=str(exc) or type(exc).__name__)
        return Lookup(name=name, rdtype=rdtype, status=LookupStatus.ANSWER, values=_values(answer))


def _values(answer: dns.resolver.Answer) -> tuple[str, ...]:
    if answer.rdtype == dns.rdatatype.TXT:
        return tuple(b"".join(r.strings).decode("utf-8", "replace") for r in answer)
    if answer.rdtype == dns.rdatatype.MX:
        ordered = sorted(answer, key=lambda r: (r.preference, str(r.exchange)))
        return tuple(str(r.exchange).rstrip(".").lower() for r in ordered)
    return tuple(r.to_text().rstrip(".") for r in answer)


def _server_failure(exc: dns.resolver.NoNameservers) -> str:
    """'SERVFAIL' / 'REFUSED' from the answer the servers gave, else the transport error."""
    reasons = []
    for error in exc.kwargs.get("errors") or []:
        response = error[-1] if error else None
        if isinstance(response, dns.message.Message):
            reasons.append(dns.rcode.to_text(response.rcode()))
        elif len(error) > 3 and error[3] is not None:
            reasons.append(str(error[3]))
    return ", ".join(dict.fromkeys(reasons)) or "all nameservers failed"


_SHARED: dict[str, Resolver] = {}
_SHARED_LOCK = threading.Lock()


def shared_resolver(settings: DNSSettings) -> Resolver:
    """One resolver (and cache) per distinct `[dns]` settings for the life of the process."""
    key = settings.model_dump_json()
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = Resolver(settings)
        return _SHARED[key]
