"""The bot's clockwork: APScheduler 3.11 jobs for scan + evaluate, blacklist watch, recheck, retention, delivery.

Called by bot/runner.py (`build_scheduler`). Each job body is a method of `Jobs`, testable without a
scheduler. Poll jobs run one at a time with missed runs coalesced. A failing job raises; the
scheduler's EVENT_JOB_ERROR becomes one ops notice per job per `OPS_NOTICE_EVERY`, and the bot keeps
running. Evaluations (after a scan, after a check) run one at a time in the process, so two jobs never
announce the same change.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from bot.config import Settings, environ
from bot.errors import BounceCheckError, DNSError, SourceError
from bot.monitor import retention
from bot.monitor.evaluate import Outcome, changed, evaluate
from bot.monitor.learning import learn_missing
from bot.monitor.notify import Notifier
from bot.monitor.watch import Checker, check_domains, default_checker
from bot.store import incidents_store
from bot.store.leases import free_dead_leases
from bot.store.rates_queries import BaselineCache
from bot.volume.job import collect_volumes

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Scan = Callable[[], Sequence[str]]  # scans every mailbox; returns one line per mailbox error
Deliver = Callable[[datetime], object]  # sends what the notifier queued (the Slack outbox)

OPS_NOTICE_EVERY = timedelta(hours=1)
LEARN_RETRY = timedelta(minutes=1)  # servers DNS could not tell are asked for again this often
RETENTION_EVERY = timedelta(days=1)
SCAN, WATCH, RECHECK, RETENTION, DELIVER, ONCALL = "scan", "watch", "recheck", "retention", "deliver", "oncall"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True, kw_only=True)
class Jobs:
    """The job bodies, with everything they touch passed in."""

    settings: Settings
    engine: Engine
    notifier: Notifier
    scan: Scan
    check: Checker
    deliver: Deliver | None = None
    oncall: Deliver | None = None  # reminders, cards after a quiet, digests (Slack only)
    clock: Clock = utc_now
    env: Mapping[str, str] = field(default_factory=dict)  # secrets of the volume sources (an IMAP Sent folder)
    baselines: BaselineCache = field(default_factory=BaselineCache)
    _learn_tried_at: datetime | None = None
    _evaluating: threading.Lock = field(default_factory=threading.Lock)

    def scan_and_evaluate(self) -> None:
        """Learn our servers if none are known yet, scan the mailboxes, then evaluate.

        A mailbox that failed is reported after the evaluation; so are servers DNS could not tell.
        """
        free_dead_leases(self.engine, self.clock())  # a crashed predecessor's folders are scanned now
        problems = self._learn_servers()
        errors = [*self.scan(), *collect_volumes(self.engine, self.settings, self.env, self.clock())]
        with self._evaluating:
            now = self.clock()
            self._announce(evaluate(self.engine, self.settings, now, baselines=self.baselines), now)
        if errors:
            raise SourceError("; ".join(errors))
        if problems:
            raise DNSError("could not learn our servers (" + "; ".join(problems) + "): until then bounces that "
                           "need them count as of unknown origin, not as ours")

    def _learn_servers(self) -> list[str]:
        """Learn missing servers at most once per LEARN_RETRY (a domain may publish nothing to learn)."""
        now = self.clock()
        if self._learn_tried_at is not None and now - self._learn_tried_at < LEARN_RETRY:
            return []
        self._learn_tried_at = now
        return learn_missing(self.engine, self.settings, now)

    def watch_all(self) -> None:
        """The blacklist watch of every monitored domain."""
        self._watch(None)

    def recheck(self) -> None:
        """Check again the domains with an open incident."""
        with self.engine.connect() as conn:
            domains = list(dict.fromkeys(incident.domain for incident in incidents_store.unresolved(conn)))
        if domains:
            self._watch(domains)

    def prune(self) -> None:
        pruned = retention.prune(self.engine, self.settings, self.clock())
        log.info("retention: pruned %d bounces, %d check rows, %d incidents",
                 pruned.bounces, pruned.reputation_checks, pruned.incidents)

    def deliver_queued(self) -> None:
        if self.deliver is not None:
            self.deliver(self.clock())

    def oncall_due(self) -> None:
        if self.oncall is not None:
            self.oncall(self.clock())

    def _watch(self, domains: Sequence[str] | None) -> None:
        # The checks take seconds to a minute: they run outside the evaluation lock, so a scan's
        # evaluation (and its alert) never waits behind them; only their evaluation takes the lock.
        checked = check_domains(self.engine, self.settings, self.clock(), check=self.check, domains=domains)
        if checked.domains:
            with self._evaluating:
                now = self.clock()
                self._announce(evaluate(self.engine, self.settings, now, domains=checked.domains,
                                        new_listings=checked.appeared, baselines=self.baselines), now)
        if checked.failures:
            raise DNSError("reputation check failed for " + "; ".join(checked.failures))

    def _announce(self, outcomes: list[Outcome], now: datetime) -> None:
        for incident, events in outcomes:
            if events or changed(incident, now):
                self.notifier.notify(incident, events)


class ExpectedFailures(logging.Filter):
    """APScheduler logs every failed job with its traceback; a failure of ours (DNS down, a mailbox
    refusing the login) is an expected state already told in one sentence: keep the line, drop the trace."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], BounceCheckError):
            record.msg = f"{record.getMessage()}: {record.exc_info[1]}"
            record.args, record.exc_info, record.exc_text = (), None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class OpsNotices:
    """EVENT_JOB_ERROR → an ops notice, at most one per job per `every`, so a failing job never floods."""

    def __init__(self, send: Callable[..., None], *, clock: Clock, every: timedelta = OPS_NOTICE_EVERY):
        self._send = send
        self._clock = clock
        self._every = every
        self._last: dict[str, datetime] = {}
        self._failures: dict[str, int] = {}
        self._lock = threading.Lock()

    def __call__(self, event: JobExecutionEvent) -> None:
        now = self._clock()
        with self._lock:
            self._failures[event.job_id] = self._failures.get(event.job_id, 0) + 1
            last = self._last.get(event.job_id)
            if last is not None and now - last < self._every:
                return
            self._last[event.job_id] = now
            failures, self._failures[event.job_id] = self._failures[event.job_id], 0
        more = f" ({failures} failures since the last notice)" if failures > 1 else ""
        text = f"The {event.job_id} job failed{more}: {_sentence(event.exception)} The bot keeps running."
        try:
            self._send(text, topic=event.job_id)
        except Exception:  # the notice channel itself may be what is down; the log still has it
            log.exception("could not send the ops notice: %s", text)


def build_scheduler(settings: Settings, engine: Engine, notifier: Notifier, *, deliver: Deliver | None = None,
                    oncall: Deliver | None = None,
                    scan: Scan | None = None, check: Checker | None = None, clock: Clock = utc_now,
                    env: Mapping[str, str] | None = None) -> BackgroundScheduler:
    """A scheduler (not started) with every job of the bot; the caller starts and shuts it down.

    `scan` defaults to scanning `settings.mailboxes`, `check` to the real reputation check; ops notices
    go to `notifier.ops`.
    """
    jobs = Jobs(settings=settings, engine=engine, notifier=notifier,
                scan=scan or mailbox_scan(settings, engine, env if env is not None else environ()),
                check=check or default_checker(), deliver=deliver, oncall=oncall, clock=clock,
                env=env if env is not None else environ())
    schedule = settings.schedule
    scheduler = BackgroundScheduler(timezone=UTC, job_defaults={"max_instances": 1, "coalesce": True})
    now = clock()

    def every(job_id: str, body: Callable[[], None], interval: timedelta, first: datetime) -> None:
        # A late run still runs (once, coalesced) instead of being dropped as misfired.
        scheduler.add_job(body, IntervalTrigger(seconds=interval.total_seconds(), timezone=UTC), id=job_id,
                          name=job_id, next_run_time=first, misfire_grace_time=max(1, int(interval.total_seconds())))

    every(SCAN, jobs.scan_and_evaluate, schedule.scan_interval, now)
    every(WATCH, jobs.watch_all, schedule.reputation_interval, now)  # the first check is the baseline
    every(RECHECK, jobs.recheck, schedule.recheck_interval, now + schedule.recheck_interval)
    every(RETENTION, jobs.prune, RETENTION_EVERY, now + timedelta(minutes=5))
    if deliver is not None:
        every(DELIVER, jobs.deliver_queued, schedule.deliver_interval, now)
    if oncall is not None:
        every(ONCALL, jobs.oncall_due, schedule.oncall_interval, now + schedule.oncall_interval)
    scheduler.add_listener(OpsNotices(notifier.ops, clock=clock), EVENT_JOB_ERROR)
    executor_log = logging.getLogger("apscheduler.executors.default")
    if not any(isinstance(f, ExpectedFailures) for f in executor_log.filters):
        executor_log.addFilter(ExpectedFailures())
    return scheduler


def mailbox_scan(settings: Settings, engine: Engine, env: Mapping[str, str]) -> Scan:
    """Scan every configured mailbox (bot/mail/scanner.py); the errors it recorded, one line each."""
    from bot.mail.scanner import ScanContext, scan_all

    context = ScanContext.from_settings(settings, engine, env)

    def scan() -> list[str]:
        return [f"{result.mailbox} {result.folder}: {error}"
                for result in scan_all(settings.mailboxes, context) for error in result.errors]

    return scan


def _sentence(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if text.endswith((".", "!", "?")) else text + "."
