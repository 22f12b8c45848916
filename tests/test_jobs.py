"""The scheduler runs the bot's jobs, and a failing job gives one ops notice while the rest keeps running."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.config import Settings
from bot.errors import DNSError
from bot.jobs import SCAN, Jobs, OpsNotices, build_scheduler
from bot.store.database import open_engine
from tests.fakes import Recorder
from tests.monitor.conftest import add_bounces, monitor_settings
from tests.monitor.fakes import FakeChecker


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return open_engine(f"sqlite:///{tmp_path / 'jobs.db'}")


def fast_settings() -> Settings:
    base = monitor_settings()
    schedule = base.schedule.model_copy(update={
        "scan_interval": timedelta(seconds=0.1), "reputation_interval": timedelta(seconds=0.2),
        "recheck_interval": timedelta(seconds=0.2), "deliver_interval": timedelta(seconds=0.1)})
    return base.model_copy(update={"schedule": schedule})


def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_the_scheduler_scans_evaluates_watches_and_delivers(engine: Engine) -> None:
    add_bounces(engine, datetime.now(UTC) - timedelta(minutes=5), 60)
    notifier, checker = Recorder(), FakeChecker()
    scans: list[int] = []
    delivered = threading.Event()
    scheduler = build_scheduler(fast_settings(), engine, notifier, scan=lambda: scans.append(1) or [],
                                check=checker, deliver=lambda now: delivered.set())
    scheduler.start()
    try:
        wait_for(lambda: len(scans) >= 3 and delivered.is_set() and len(checker.calls) >= 3)
    finally:
        scheduler.shutdown(wait=True)
    opened = [events for _, events in notifier.notified if events]
    assert [[str(e.kind) for e in events] for events in opened] == [["opened"]]
    assert notifier.notices == []


def test_a_failing_job_gives_one_ops_notice_and_the_others_keep_running(engine: Engine) -> None:
    notifier, checker = Recorder(), FakeChecker()
    failures: list[int] = []

    def broken_scan() -> list[str]:
        failures.append(1)
        raise RuntimeError("IMAP server said BYE")

    scheduler = build_scheduler(fast_settings(), engine, notifier, scan=broken_scan, check=checker)
    scheduler.start()
    try:
        wait_for(lambda: len(failures) >= 5 and len(checker.calls) >= 2)
    finally:
        scheduler.shutdown(wait=True)
    assert notifier.notices == ["The scan job failed: IMAP server said BYE. The bot keeps running."]


def test_mailbox_errors_are_reported_after_the_evaluation(engine: Engine) -> None:
    add_bounces(engine, datetime.now(UTC) - timedelta(minutes=5), 60)
    notifier = Recorder()
    jobs = Jobs(settings=monitor_settings(), engine=engine, notifier=notifier, check=FakeChecker(),
                scan=lambda: ["postmaster INBOX: login refused"])
    with pytest.raises(Exception, match="login refused"):
        jobs.scan_and_evaluate()
    assert len(notifier.notified) == 1


def test_recheck_checks_only_domains_with_an_open_incident(engine: Engine) -> None:
    checker = FakeChecker()
    jobs = Jobs(settings=monitor_settings(), engine=engine, notifier=Recorder(), check=checker, scan=lambda: [])
    jobs.recheck()
    assert checker.calls == []
    add_bounces(engine, datetime.now(UTC) - timedelta(minutes=5), 60)
    jobs.scan_and_evaluate()
    jobs.recheck()
    assert [target for target, _ in checker.calls] == ["example.com"]


def test_ops_notices_are_rate_limited_per_job() -> None:
    now = [datetime(2026, 3, 2, tzinfo=UTC)]
    sent: list[str] = []
    topics: list[str] = []
    notices = OpsNotices(lambda text, topic: (sent.append(text), topics.append(topic)), clock=lambda: now[0],
                         every=timedelta(hours=1))

    def fail(job_id: str, message: str) -> None:
        notices(SimpleNamespace(job_id=job_id, exception=RuntimeError(message)))  # type: ignore[arg-type]

    fail(SCAN, "down")
    fail(SCAN, "down")
    fail("watch", "resolver timeout")
    now[0] += timedelta(minutes=61)
    fail(SCAN, "still down")
    assert sent == ["The scan job failed: down. The bot keeps running.",
                    "The watch job failed: resolver timeout. The bot keeps running.",
                    "The scan job failed (2 failures since the last notice): still down. The bot keeps running."]
    assert topics == [SCAN, "watch", SCAN], "each job's notices keep to their own thread"


class SlowChecker(FakeChecker):
    """A check that takes `seconds`, like one with 200 ms DNS answers, and counts how many run at once."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self.running = self.most = 0
        self._lock = threading.Lock()

    def __call__(self, target: str, settings: Settings, *, bounce_ips: Sequence[str] = ()) -> Any:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(self.seconds)
            return super().__call__(target, settings, bounce_ips=bounce_ips)
        finally:
            with self._lock:
                self.running -= 1


def test_the_watch_checks_domains_at_once_and_never_holds_back_a_scans_alert(engine: Engine) -> None:
    domains = ["example.com", *(f"d{n}.example" for n in range(20))]
    settings = monitor_settings(domains=domains)
    settings = settings.model_copy(update={"dns": settings.dns.model_copy(update={"concurrent_checks": 5})})
    notifier, checker = Recorder(), SlowChecker(0.4)
    jobs = Jobs(settings=settings, engine=engine, notifier=notifier, check=checker, scan=lambda: [])
    with contextlib.suppress(DNSError):  # the start-up scan: it tries to learn the servers (no DNS here)
        jobs.scan_and_evaluate()
    started = time.monotonic()
    watching = threading.Thread(target=jobs.watch_all)
    watching.start()
    wait_for(lambda: checker.running >= 5)
    add_bounces(engine, datetime.now(UTC) - timedelta(minutes=5), 60)  # a flood lands mid-watch
    scanned_at = time.monotonic()
    jobs.scan_and_evaluate()
    alerted_after = time.monotonic() - scanned_at
    assert watching.is_alive(), "the watch was meant to be still running"
    assert [str(e.kind) for _, events in notifier.notified for e in events] == ["opened"]
    assert alerted_after < 0.5, f"the alert waited {alerted_after:.1f} s behind the watch"
    watching.join()
    took = time.monotonic() - started
    # One alone (it primes the zone probes), then 20 five at a time: 5 × 0.4 s, not 21 × 0.4 s.
    assert checker.most == 5 and took < 0.4 * 8, f"{took:.1f} s for 21 checks of 0.4 s, 5 at a time"
    assert sorted(target for target, _ in checker.calls) == sorted(domains)
