"""DNSBL fan-out: how long a check takes when every DNS answer is 200 ms late (loopback server).

Usage: .venv/bin/python bench/dnsbl_fanout.py [--delay 0.2] [--runs 5]

Runs against tests/servers/dns.py on 127.0.0.1 (no traffic leaves the machine) and prints the
median of N runs for each of issue 4's targets, then PASS/FAIL (exit 1 on any FAIL):
- one A query (the unit everything is compared with);
- 4 sending IPs (config) × the default catalogue, cold cache: ≤ 1.5 × one query;
- a domain (example.com: SPF with a two-level include chain, mx, a:, MX hosts): the check minus
  the walk of its SPF/MX chain alone ≤ 1.5 × one query;
- the same domain checked again once every cached answer has expired (the watch's case): the
  resolver remembers the names and addresses of the last walk and asks for them all at once,
  ≤ 2.5 × one query (issue 17; a first-ever check is bound by its include depth);
- one extra zone that never answers, timeout 1 s: ≤ timeout + 0.3 s, every other zone answered;
- the 4-IP check again with a warm cache: ≤ 5 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings
from bot.models import CheckResult, ListingStatus
from bot.reputation.check import check_target
from bot.reputation.resolver import Resolver
from bot.reputation.targets import host_addresses, mx_addresses, walk_spf
from tests.servers.dns import LISTED_IP, SILENT_ZONE, SPF_DOMAIN, DNSServer, World, start_dns_server

SENDING_IPS = ("192.0.2.11", "192.0.2.12", "198.51.100.13", "2001:db8::14")
OWN_DOMAIN = "fourips.example"  # no SPF, MX or A: only the configured IPs are checked
TIMEOUT = 1.0


def _median(runs: int, once: Callable[[], float]) -> float:
    return statistics.median(once() for _ in range(runs))


def _timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _timed_with(prepared: Any, action: Callable[[Any], Any]) -> float:
    """Seconds `action(prepared)` takes; preparing is not timed."""
    return _timed(lambda: action(prepared))


def _settings(server: DNSServer, sending_ips: tuple[str, ...] = SENDING_IPS, **dns: Any) -> Settings:
    return Settings.model_validate({
        "dns": server.settings(timeout=f"{TIMEOUT}s", **dns).model_dump(),
        "monitor": {"domains": [OWN_DOMAIN], "sending_ips": list(sending_ips)},
    })


def _check(settings: Settings, target: str, resolver: Resolver | None = None) -> CheckResult:
    return check_target(target, settings, resolver=resolver or Resolver(settings.dns), env={})


def _remembering(settings: Settings) -> Resolver:
    """A resolver that checked example.com once and whose cached answers have all expired since."""
    resolver = Resolver(settings.dns)
    _check(settings, SPF_DOMAIN, resolver)
    resolver.cache.flush()
    resolver._answers.clear()  # the fast front of the cache; the zone probes stay (an hour)
    return resolver


def _walk(settings: Settings) -> None:
    resolver = Resolver(settings.dns)

    async def walk() -> None:
        await asyncio.gather(walk_spf(resolver, SPF_DOMAIN), mx_addresses(resolver, SPF_DOMAIN),
                             host_addresses(resolver, SPF_DOMAIN))

    asyncio.run(walk())


def _single(settings: Settings) -> None:
    asyncio.run(Resolver(settings.dns).query("2.0.0.127.zen.spamhaus.org", "A"))


def _serve(delay: float, conn: Connection) -> None:
    """The DNS server in its own process, as a real one would be: it must not share our GIL."""
    server = start_dns_server()
    server.world.delay = delay
    conn.send(server.port)
    conn.recv()  # until the parent is done
    conn.send(len(server.world.queries))
    server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.2, help="seconds before each DNS answer")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(target=_serve, args=(args.delay, child), daemon=True)
    process.start()
    try:
        server = DNSServer(world=World(), port=parent.recv())
        status = _report(server, args.runs, args.delay)
        parent.send("stop")
        print(f"queries served: {parent.recv()}")
        return status
    finally:
        process.join(timeout=5)


def _report(server: DNSServer, runs: int, delay: float) -> int:
    settings = _settings(server)
    silent = _settings(server, zones=[{"zone": SILENT_ZONE, "name": "never answers"}])
    single = _median(runs, lambda: _timed(lambda: _single(settings)))
    four = _median(runs, lambda: _timed(lambda: _check(settings, OWN_DOMAIN)))
    one_listed = _settings(server, (*SENDING_IPS[:3], LISTED_IP))
    listed = _median(runs, lambda: _timed(lambda: _check(one_listed, OWN_DOMAIN)))
    walk = _median(runs, lambda: _timed(lambda: _walk(settings)))
    domain = _median(runs, lambda: _timed(lambda: _check(settings, SPF_DOMAIN)))
    again = _median(runs, lambda: _timed_with(_remembering(settings),
                                              lambda resolver: _check(settings, SPF_DOMAIN, resolver)))
    stalled = _median(runs, lambda: _timed(lambda: _check(silent, OWN_DOMAIN)))
    result = _check(silent, OWN_DOMAIN)
    answered = all(r.status is ListingStatus.NOT_LISTED for c in result.ips for r in c.results
                   if r.zone != SILENT_ZONE)
    timed_out = all(r.status is ListingStatus.TIMEOUT for c in result.ips for r in c.results if r.zone == SILENT_ZONE)
    warm_resolver = Resolver(settings.dns)
    _check(settings, OWN_DOMAIN, warm_resolver)
    warm = _median(max(runs, 20), lambda: _timed(lambda: _check(settings, OWN_DOMAIN, warm_resolver)))

    rows = [
        ("one A query", single, None),
        (f"4 IPs x default catalogue ({len(result.ips[0].results) - 1} IP zones), cold", four, 1.5 * single),
        ("  the same with one IP listed (its TXT asked after the A)", listed, None),
        ("example.com SPF/MX walk alone", walk, None),
        ("example.com full check, cold", domain, None),
        ("  full check - walk", domain - walk, 1.5 * single),
        ("example.com checked again, cache expired, walk remembered", again, 2.5 * single),
        (f"4 IPs + a zone that never answers (timeout {TIMEOUT:g}s)", stalled, TIMEOUT + 0.3),
        ("4 IPs, warm cache", warm, 0.005),
    ]
    failed = False
    print(f"median of {runs} runs, every answer delayed {delay * 1000:.0f} ms (server in its own process)")
    for label, seconds, limit in rows:
        verdict = "" if limit is None else ("PASS" if seconds <= limit else "FAIL")
        failed |= verdict == "FAIL"
        bound = "" if limit is None else f"(limit {limit * 1000:.0f} ms)"
        print(f"{label:<58} {seconds * 1000:8.1f} ms  {bound:<18} {verdict}")
    print(f"{'other zones all answered while one timed out':<58} {answered and timed_out}")
    return 1 if failed or not (answered and timed_out) else 0


if __name__ == "__main__":
    sys.exit(main())
