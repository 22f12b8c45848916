"""Prometheus metrics, named after Prometheus' conventions and prefixed `bouncecheck_`; label values bounded.

Two kinds, one registry per process (`REGISTRY`):
- counters and a histogram of what this process did: messages and bounces scanned (by mailbox,
  kind, reason), scan durations and failures (by mailbox), DNS lookups (by outcome), Slack API
  errors (by kind and Slack's error code). They restart at zero with the process, as counters do.
- gauges read from the store at each scrape (`StoreCollector`), so every instance answers the same:
  bounces in the window and the alert threshold per domain, open incidents by cause, listings by
  zone and target, outbox depth and dead letters.
Served on `/metrics` in HTTP mode (bot/slack/wsgi.py), and on `[metrics] port` in Socket Mode and
`scan` (`serve`). Recipient addresses and free text never become label values.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.models import Action, Report

if TYPE_CHECKING:  # the store's modules load with the store, not with every import of this one
    from sqlalchemy import Connection, Engine

    from bot.config import Settings

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

MESSAGES = Counter("bouncecheck_messages_scanned", "Messages read from the mailboxes, by what they are",
                   ["mailbox", "kind"], registry=REGISTRY)
BOUNCES = Counter("bouncecheck_bounces_scanned", "Failed recipients read from the mailboxes, by reason",
                  ["mailbox", "reason"], registry=REGISTRY)
SCAN_SECONDS = Histogram("bouncecheck_scan_duration_seconds", "Time to scan one folder", ["mailbox"],
                         buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300), registry=REGISTRY)
SCAN_FAILURES = Counter("bouncecheck_scan_failures", "Folder scans that ended in an error", ["mailbox"],
                        registry=REGISTRY)
DNS_LOOKUPS = Counter("bouncecheck_dns_lookups", "DNS lookups made, by outcome", ["outcome"], registry=REGISTRY)
SLACK_ERRORS = Counter("bouncecheck_slack_api_errors", "Slack Web API calls that failed, by kind and error code",
                       ["kind", "error"], registry=REGISTRY)
_SLACK_ERROR_CODES = 100  # a label value per Slack error string, up to this many; the rest are "other"


def count_messages(mailbox: str, reports: Sequence[Report]) -> None:
    for report in reports:
        MESSAGES.labels(mailbox, report.kind.value).inc()
        for failure in report.recipients:
            if failure.action is Action.FAILED:
                BOUNCES.labels(mailbox, failure.reason.value).inc()


_seen_slack_codes: set[str] = set()  # the label values given so far (the counter has no public list)


def count_slack_error(kind: str, error: str) -> None:
    code = error if error.isidentifier() and len(error) <= 40 else "network"
    if code not in _seen_slack_codes:
        if len(_seen_slack_codes) >= _SLACK_ERROR_CODES:
            code = "other"
        else:
            _seen_slack_codes.add(code)
    SLACK_ERRORS.labels(kind, code).inc()


class StoreCollector(Collector):
    """Gauges from the store, read at each scrape; a store that does not answer gives none (and a log line)."""

    def __init__(self) -> None:
        self.source: tuple[Engine, Settings, Callable[[], datetime]] | None = None

    def collect(self) -> Iterator[Metric]:
        from sqlalchemy.exc import SQLAlchemyError

        if self.source is None:
            return
        try:
            yield from self._read(*self.source)
        except SQLAlchemyError as exc:
            log.warning("metrics: the store did not answer: %s", exc)

    def describe(self) -> Iterator[Metric]:
        return iter(())  # what it yields depends on the store: nothing to check at registration

    def _read(self, engine: Engine, settings: Settings, clock: Callable[[], datetime]) -> Iterator[Metric]:
        from bot.monitor.listings import listings_of
        from bot.store.figures import read_figures
        from bot.store.incidents_store import latest_checks, unresolved
        from bot.store.outbox_store import delivery_facts

        domains = settings.monitor.domains
        with engine.connect() as conn:
            figures = read_figures(conn, domains, clock(), settings.monitor, detail=lambda _: False)
            in_window = GaugeMetricFamily("bouncecheck_bounces_in_window", "Failed recipients in the current window",
                                          labels=["domain"])
            threshold = GaugeMetricFamily("bouncecheck_alert_threshold",
                                          "Bounces in the window that open an incident", labels=["domain"])
            for domain, figure in figures.items():
                in_window.add_metric([domain], figure.failed)
                threshold.add_metric([domain], figure.threshold)
            yield in_window
            yield threshold
            yield from _rates(conn, settings, clock())
            open_by_cause = GaugeMetricFamily("bouncecheck_incidents_open", "Incidents not resolved, by cause",
                                              labels=["cause"])
            counts: dict[str, int] = {}
            for incident in unresolved(conn):
                counts[incident.cause.value] = counts.get(incident.cause.value, 0) + 1
            for cause, count in sorted(counts.items()):
                open_by_cause.add_metric([cause], count)
            yield open_by_cause
            listed = GaugeMetricFamily("bouncecheck_listed", "1 for each target the last check found listed",
                                       labels=["domain", "zone", "target"])
            for domain, check in latest_checks(conn, list(domains)).items():
                for listing in sorted(listings_of(check)):
                    listed.add_metric([domain, listing.zone, listing.target], 1)
            yield listed
            facts = delivery_facts(conn)
            yield GaugeMetricFamily("bouncecheck_outbox_pending", "Slack messages waiting to be sent",
                                    value=facts.pending)
            yield GaugeMetricFamily("bouncecheck_outbox_dead_letters", "Slack messages refused for good",
                                    value=facts.dead)


def _rates(conn: Connection, settings: Settings, now: datetime) -> Iterator[Metric]:
    """The bounce rate where a volume source counts the domain, and each source's health."""
    from bot.store import volume_store
    from bot.store.figures import read_volumes

    if not settings.volume:
        return
    rate = GaugeMetricFamily("bouncecheck_bounce_rate", "Our own failed bounces as a share of the mail we sent "
                             "in the window (absent when no healthy source counts the domain)", labels=["domain"])
    sent = GaugeMetricFamily("bouncecheck_sent_in_window", "Messages we sent in the window, by the volume sources",
                             labels=["domain"])
    for domain, volume in read_volumes(conn, settings.monitor.domains, now, settings).items():
        if not isinstance(volume, str):
            sent.add_metric([domain], volume.sent)
            if volume.rate is not None:
                rate.add_metric([domain], volume.rate)
    healthy = GaugeMetricFamily("bouncecheck_volume_source_healthy", "1 when the volume source was read recently "
                                "and its last read succeeded", labels=["source"])
    states = volume_store.states(conn, [v.name for v in settings.volume])
    for source in settings.volume:
        healthy.add_metric([source.name],
                           0 if states[source.name].healthy(now, source.stale_after, settings.monitor.window) else 1)
    yield rate
    yield sent
    yield healthy


STORE = StoreCollector()
REGISTRY.register(STORE)


def watch_store(engine: Engine, settings: Settings, clock: Callable[[], datetime]) -> None:
    """Read the store's gauges from this store (a process has one; the last one set wins)."""
    STORE.source = (engine, settings, clock)


def exposition() -> bytes:
    return generate_latest(REGISTRY)


def serve(settings: Settings) -> None:
    """The listener of `[metrics] port` (off when 0), for Socket Mode and `scan`; HTTP mode has /metrics."""
    if settings.metrics.port:
        start_http_server(settings.metrics.port, addr=settings.metrics.host, registry=REGISTRY)
        log.info("metrics on http://%s:%d/metrics", settings.metrics.host, settings.metrics.port)
