"""The blacklist watch at scale (issue 17): 1, 10 and 100 domains with every DNS answer 200 ms late,
and how late a flood that lands mid-watch is alerted.

Usage: .venv/bin/python bench/watch.py [--delay 0.2] [--runs 3] [--domains 100]

The DNS server (tests/servers/dns.py, its own process, 127.0.0.1 only) serves the default catalogue
plus `--domains` domains d0.example…: each with SPF (its own ip4, an include shared by all, mx) and
an MX host of its own, so each check asks every zone about two IPs of its own and the domain.
1. One domain's check, cold cache (the unit), then watches of 1, 10 and 100 domains through
   `bot.monitor.watch.check_domains` as the scheduler runs it (`[dns] concurrent_checks`, each zone's
   20 queries/s limit): median seconds and the ratio to one check. Target: 100 domains ≤ 12 s.
2. The scheduler as `bouncecheck run` builds it (scan every 1 s; the watch at start), with the
   100-domain watch running: a flood is stored mid-watch and the time until the incident is
   announced is measured. Target: ≤ scan_interval + 2 s.
Prints the figures and PASS/FAIL (exit 1 on FAIL).
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings, settings_from_mapping
from bot.jobs import build_scheduler
from bot.models import Incident, IncidentEvent
from bot.monitor.watch import check_domains
from bot.reputation import resolver as resolver_module
from bot.reputation.check import check_target
from bot.store.database import open_engine
from tests.monitor.conftest import add_bounces
from tests.servers.dns import World, default_world

SHARED_INCLUDE = "_spf.mailer.example"
WATCH_TARGET = 12.0
ALERT_SLACK = 2.0
SCAN_INTERVAL = 1.0


def domain(n: int) -> str:
    return f"d{n}.example"


def world(count: int) -> World:
    served = default_world()
    served.add(SHARED_INCLUDE, "TXT", "v=spf1 ip4:203.0.113.5 ip4:203.0.113.6 ~all")
    for n in range(count):
        name = domain(n)
        served.add(name, "TXT", f"v=spf1 ip4:198.51.100.{n % 250} include:{SHARED_INCLUDE} mx -all")
        served.add(name, "MX", f"10 mx.{name}")
        served.add(f"mx.{name}", "A", f"192.0.2.{n % 250}")
        served.add(f"_dmarc.{name}", "TXT", "v=DMARC1; p=reject")
    return served


def _serve(count: int, delay: float, conn: Connection) -> None:
    from tests.servers.dns import start_dns_server

    server = start_dns_server(world(count))
    server.world.delay = delay
    conn.send(server.port)
    conn.recv()
    conn.send(len(server.world.queries))
    server.stop()


def settings_for(port: int, domains: Sequence[str], db: str) -> Settings:
    return settings_from_mapping({
        "storage": {"url": f"sqlite:///{db}"},
        "dns": {"nameservers": [f"127.0.0.1:{port}"], "timeout": "2s"},
        "monitor": {"domains": list(domains), "window": "1h", "alert_bounces": 50, "baseline_days": 0},
        "schedule": {"scan_interval": f"{SCAN_INTERVAL:g}s", "reputation_interval": "1h", "recheck_interval": "1h",
                     "deliver_interval": "1s"},
    }, "bench")


def fresh_cache() -> None:
    """Forget every resolver the process shares (their caches and probe results): a cold start."""
    with resolver_module._SHARED_LOCK:
        resolver_module._SHARED.clear()


def one_check(settings: Settings) -> float:
    fresh_cache()
    started = time.perf_counter()
    check_target(domain(0), settings, env={})
    return time.perf_counter() - started


def watch_of(settings: Settings, count: int, db: Path) -> float:
    fresh_cache()
    engine = open_engine(f"sqlite:///{db}")
    try:
        started = time.perf_counter()
        checked = check_domains(engine, settings, datetime.now(UTC), check=check_target,
                                domains=[domain(n) for n in range(count)])
        took = time.perf_counter() - started
    finally:
        engine.dispose()
    assert not checked.failures, checked.failures
    return took


class Announced:
    """The scheduler's notifier: notes when an incident was first announced."""

    def __init__(self) -> None:
        self.opened_at: float | None = None
        self.checks_stored = 0

    def notify(self, incident: Incident, events: Sequence[IncidentEvent]) -> None:
        if self.opened_at is None and any(str(e.kind) == "opened" for e in events):
            self.opened_at = time.monotonic()

    def ops(self, text: str) -> None:
        pass


def alert_delay(settings: Settings, db: Path, count: int) -> tuple[float, float]:
    """(seconds from the flood to its announcement, seconds the watch had run when the flood landed)."""
    fresh_cache()
    engine = open_engine(f"sqlite:///{db}")
    announced = Announced()
    checks: list[float] = []
    watching = threading.Event()

    def check(target: str, settings: Settings, *, bounce_ips: Sequence[str] = ()) -> Any:
        watching.set()
        checks.append(time.monotonic())
        return check_target(target, settings, bounce_ips=bounce_ips, env={})

    scheduler = build_scheduler(settings, engine, announced, scan=lambda: [], check=check)
    scheduler.start()
    try:
        watching.wait(30)
        time.sleep(3)  # well into the watch
        assert len(checks) < count, "the watch finished before the flood: raise --domains"
        landed = time.monotonic()
        watch_age = landed - checks[0]
        add_bounces(engine, datetime.now(UTC) - timedelta(minutes=1), 120, domain=domain(0))
        deadline = landed + 60
        while announced.opened_at is None and time.monotonic() < deadline:
            time.sleep(0.01)
        if announced.opened_at is None:
            return float("inf"), watch_age
        return announced.opened_at - landed, watch_age
    finally:
        scheduler.shutdown(wait=True)
        engine.dispose()


def median(runs: int, once: Callable[[], float]) -> float:
    return statistics.median(once() for _ in range(runs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.2, help="seconds before each DNS answer")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--domains", type=int, default=100)
    args = parser.parse_args(argv)
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(target=_serve, args=(args.domains, args.delay, child),
                                                           daemon=True)
    process.start()
    try:
        port = parent.recv()
        with tempfile.TemporaryDirectory(prefix="bench-watch-") as tmp:
            status = report(port, args, Path(tmp))
        parent.send("stop")
        print(f"queries served: {parent.recv()}")
        return status
    finally:
        process.join(timeout=5)


def report(port: int, args: argparse.Namespace, tmp: Path) -> int:
    names = [domain(n) for n in range(args.domains)]
    settings = settings_for(port, names, str(tmp / "unused.db"))
    single = median(args.runs, lambda: one_check(settings))
    print(f"every DNS answer {args.delay * 1000:.0f} ms late; median of {args.runs} runs; "
          f"concurrent_checks {settings.dns.concurrent_checks}, "
          f"{settings.dns.queries_per_second_per_zone:g} queries/s per zone")
    print(f"{'one domain check, cold':<34} {single:7.2f} s")
    failed = False
    for count in sorted({1, 10, args.domains}):
        runs = [tmp / f"watch-{count}-{n}.db" for n in range(args.runs)]
        took = statistics.median(watch_of(settings, count, db) for db in runs)
        limit = WATCH_TARGET if count == 100 else None
        verdict = "" if limit is None else ("PASS" if took <= limit else "FAIL")
        failed |= verdict == "FAIL"
        bound = f"(target ≤ {limit:g} s)" if limit else ""
        print(f"{f'watch of {count} domain(s)':<34} {took:7.2f} s  {took / single:6.1f}× one check  {bound} {verdict}")
    delay, age = alert_delay(settings, tmp / "alert.db", args.domains)
    limit = SCAN_INTERVAL + ALERT_SLACK
    verdict = "PASS" if delay <= limit else "FAIL"
    failed |= verdict == "FAIL"
    print(f"{'flood dropped mid-watch, alerted':<34} {delay:7.2f} s after it landed ({age:.1f} s into the watch; "
          f"target ≤ {limit:g} s) {verdict}")
    print("FAIL" if failed else "PASS")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
