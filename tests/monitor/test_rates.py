"""Rates per domain over the window, the baseline and the alert threshold (store queries + pure fold)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from bot.config import MonitorSettings, Settings
from bot.monitor.evaluate import read_stats
from bot.monitor.rates import WindowStats
from bot.store.figures import baseline, our_sending_ips, read_figures, threshold
from bot.store.rates_queries import BaselineCache, baseline_counts
from bot.store.schema import bounce_buckets, bounces
from tests.monitor.conftest import DOMAIN, T0, add_bounces, minutes, monitor_settings, spread


def _stats(engine: Engine, domains: list[str], now: datetime, monitor: MonitorSettings) -> dict[str, WindowStats]:
    with engine.connect() as conn:
        return read_stats(conn, domains, now, monitor)


def _baseline(engine: Engine, *args: Any) -> dict[str, dict[int, int]]:
    with engine.connect() as conn:
        return baseline_counts(conn, *args)


def _hops(engine: Engine, *args: Any) -> tuple[str, ...]:
    with engine.connect() as conn:
        return our_sending_ips(conn, *args)


def test_window_groups_every_dimension(engine: Engine, settings: Settings) -> None:
    add_bounces(engine, T0 - minutes(10), 3, reason="userunknown", hard=True, recipient_domain="a.example")
    add_bounces(engine, T0 - minutes(20), 2, reason="blocked", ours=None, sender="bob@example.com",
                cited_blocklists="zen.spamhaus.org bl.spamcop.net", reporting_mta="mx.b.example",
                recipient_domain="b.example")
    add_bounces(engine, T0 - minutes(30), 4, reason="userunknown", hard=True, ours=False,
                sender="forged@example.com", first_hop_ip="203.0.113.7", recipient_domain="c.example")
    add_bounces(engine, T0 - minutes(5), 7, action="delayed")  # warnings, not bounces
    add_bounces(engine, T0 - minutes(61), 5)  # before the window
    add_bounces(engine, T0 - minutes(5), 6, domain="other.example")  # another domain

    stats = _stats(engine, [DOMAIN], T0, settings.monitor)[DOMAIN]

    assert stats.total == 9
    assert (stats.hard, stats.soft) == (7, 2)
    assert (stats.ours, stats.spoofed, stats.unknown) == (3, 4, 2)
    assert stats.by_reason == (("userunknown", 7), ("blocked", 2))
    assert stats.by_reason_own == (("userunknown", 3),)  # unknown origin is not ours
    assert stats.unknown_why == (("no_evidence", 2),)
    assert [(s.sender, s.bounces, s.recipient_domains) for s in stats.by_sender] == [
        ("forged@example.com", 4, 1), ("alice@example.com", 3, 1), ("bob@example.com", 2, 1)]
    assert stats.by_recipient_domain == (("c.example", 4), ("a.example", 3), ("b.example", 2))
    assert stats.by_reporting_mta == (("mx.example.org", 7), ("mx.b.example", 2))
    assert stats.by_blocklist == (("bl.spamcop.net", 2), ("zen.spamhaus.org", 2))
    assert stats.citing_blocklists == 2
    assert stats.spoofed_first_hops == (("203.0.113.7", 4),)
    assert (stats.baseline, stats.threshold, stats.alerting) == (0.0, 50, False)


def test_domain_without_bounces_has_empty_stats(engine: Engine, settings: Settings) -> None:
    stats = _stats(engine, [DOMAIN], T0, settings.monitor)[DOMAIN]
    assert (stats.total, stats.by_reason, stats.threshold) == (0, (), 50)


def test_baseline_counts_windows_back_from_the_window_start(engine: Engine) -> None:
    add_bounces(engine, T0 - minutes(30), 2)  # window 0
    add_bounces(engine, T0 - minutes(90), 3)  # window 1
    add_bounces(engine, T0 - timedelta(hours=5, minutes=1), 4)  # window 5
    add_bounces(engine, T0 - timedelta(days=8), 9)  # older than the baseline
    counts = _baseline(engine, [DOMAIN], T0, timedelta(hours=1), 7 * 24)
    assert counts == {DOMAIN: {0: 2, 1: 3, 5: 4}}


def test_baseline_is_the_median_window_with_empty_windows_as_zero() -> None:
    assert baseline({0: 10, 1: 20, 2: 30}, 3) == 20
    assert baseline({0: 100}, 5) == 0
    assert baseline(dict.fromkeys(range(100), 40), 168) == 40
    assert baseline({}, 0) == 0


def test_threshold_rises_with_a_high_normal_level() -> None:
    monitor = monitor_settings().monitor
    assert threshold(0, monitor) == 50
    assert threshold(10, monitor) == 50
    assert threshold(40, monitor) == 120
    assert threshold(40.5, monitor) == 122


def test_a_window_of_minutes_takes_its_share_of_the_hourly_baseline(engine: Engine, settings: Settings) -> None:
    add_bounces(engine, spread(T0 - timedelta(days=7), T0, 7 * 24 * 80))  # 80 an hour
    quarter = settings.monitor.model_copy(update={"window": timedelta(minutes=15)})
    with engine.connect() as conn:
        figures = read_figures(conn, [DOMAIN], T0, quarter)[DOMAIN]
    assert (figures.failed, figures.baseline, figures.threshold) == (20, 20.0, 60)


def test_the_baseline_reads_buckets_kept_with_the_bounces_not_the_rows(engine: Engine, settings: Settings) -> None:
    add_bounces(engine, spread(T0 - timedelta(days=7), T0 - timedelta(hours=1), 6 * 24 * 80 + 23 * 80))
    with engine.begin() as conn:
        conn.execute(bounces.delete())  # what the baseline reads is not the rows
        figures = read_figures(conn, [DOMAIN], T0, settings.monitor)[DOMAIN]
    assert (figures.failed, figures.baseline) == (0, 80.0)


def test_the_hours_baseline_is_computed_once_and_read_by_every_later_evaluation(
    engine: Engine, settings: Settings
) -> None:
    add_bounces(engine, spread(T0 - timedelta(days=7), T0 - timedelta(hours=1), 6 * 24 * 80 + 23 * 80))
    with engine.begin() as conn:
        first = read_figures(conn, [DOMAIN], T0, settings.monitor)[DOMAIN]
        conn.execute(bounce_buckets.delete())  # a later evaluation of the same hour does not read them
        later = read_figures(conn, [DOMAIN], T0 + minutes(30), settings.monitor)[DOMAIN]
        next_hour = read_figures(conn, [DOMAIN], T0 + minutes(70), settings.monitor)[DOMAIN]
    assert (first.baseline, later.baseline, next_hour.baseline) == (80.0, 80.0, 0.0)


def test_high_baseline_raises_the_threshold(engine: Engine, settings: Settings) -> None:
    start = T0 - timedelta(days=7)
    add_bounces(engine, spread(start, T0, 7 * 24 * 80))  # 80 an hour, all week, the hour now included
    stats = _stats(engine, [DOMAIN], T0, settings.monitor)[DOMAIN]
    assert stats.total == 80
    assert stats.baseline == 80
    assert stats.threshold == 240 and not stats.alerting


def test_our_sending_ips_are_our_own_mails_first_hops_of_the_last_day_most_bounced_first(engine: Engine) -> None:
    add_bounces(engine, T0 - minutes(5), 2, first_hop_ip="192.0.2.20")
    add_bounces(engine, T0 - minutes(5), 3, first_hop_ip="192.0.2.10")
    add_bounces(engine, T0 - minutes(5), 9, first_hop_ip="203.0.113.7", ours=False)  # forged
    add_bounces(engine, T0 - minutes(5), 9, first_hop_ip="198.51.100.9", ours=None)  # unknown
    add_bounces(engine, T0 - timedelta(days=2), 9, first_hop_ip="192.0.2.30")  # too old
    assert _hops(engine, DOMAIN, T0) == ("192.0.2.10", "192.0.2.20")


def test_delay_warnings_are_counted_apart_and_never_in_the_count(engine: Engine, settings: Settings) -> None:
    add_bounces(engine, T0 - minutes(10), 60)
    add_bounces(engine, T0 - minutes(10), 40, action="delayed")
    with engine.connect() as conn:
        figures = read_figures(conn, [DOMAIN], T0, settings.monitor, last_day=True)[DOMAIN]
    assert (figures.failed, figures.delayed, figures.last_24h) == (60, 40, 60)
    assert _stats(engine, [DOMAIN], T0, settings.monitor)[DOMAIN].total == 60


def test_the_baseline_cache_reads_the_past_once_an_hour(engine: Engine) -> None:
    cache, hour = BaselineCache(), timedelta(hours=1)
    add_bounces(engine, T0 - timedelta(hours=3), 4)  # 06:00; T0 is 09:00
    with engine.connect() as conn:
        # Windows back from 08:00: [07:00, 08:00) is 0, so 06:00 is in window 1.
        assert cache.counts(conn, [DOMAIN], T0 - minutes(10), hour, 168) == {DOMAIN: {1: 4}}  # up to 08:00
        add_bounces(engine, T0 - timedelta(hours=3), 500)
        assert cache.counts(conn, [DOMAIN], T0 - minutes(5), hour, 168) == {DOMAIN: {1: 4}}  # same hour: cached
        assert cache.counts(conn, [DOMAIN], T0 + minutes(10), hour, 168) == {DOMAIN: {2: 504}}  # next hour: read
