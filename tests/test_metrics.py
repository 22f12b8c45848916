"""Prometheus metrics after a real scan: counters of what was read, gauges read from the store."""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from bot import metrics
from bot.config import settings_from_mapping
from bot.mail.scanner import ScanContext, scan_mailbox
from bot.store.database import open_engine
from tests import mailgen


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_a_scan_shows_in_the_counters_and_the_store_gauges(tmp_path: Path) -> None:
    maildir = tmp_path / "Maildir"
    store = mailbox.Maildir(maildir)
    for n in range(3):
        store.add(mailgen.dsn(recipient=f"gone{n}@remote.example.org", sender="news@metrics.example",
                              when=datetime.now(UTC)))
    store.add(b"From: alice@example.org\nTo: news@metrics.example\nSubject: hello\n\nJust a note.\n")
    settings = settings_from_mapping({"mailboxes": [{"name": "metrics-box", "path": str(maildir)}],
                                      "monitor": {"domains": ["metrics.example"], "alert_bounces": 2}}, "test")
    engine = open_engine(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        scan_mailbox(settings.mailboxes[0], ScanContext.from_settings(settings, engine, {}))
        metrics.watch_store(engine, settings, lambda: datetime.now(UTC))
        found = samples(metrics.exposition().decode())
    finally:
        engine.dispose()
    assert found[("bouncecheck_messages_scanned_total", (("kind", "bounce"), ("mailbox", "metrics-box")))] == 3
    assert found[("bouncecheck_messages_scanned_total", (("kind", "not_bounce"), ("mailbox", "metrics-box")))] == 1
    assert found[("bouncecheck_bounces_scanned_total", (("mailbox", "metrics-box"), ("reason", "userunknown")))] == 3
    assert found[("bouncecheck_scan_duration_seconds_count", (("mailbox", "metrics-box"),))] == 1
    assert found[("bouncecheck_bounces_in_window", (("domain", "metrics.example"),))] == 3
    assert found[("bouncecheck_alert_threshold", (("domain", "metrics.example"),))] == 2
    assert not [value for _, pairs in found for _, value in pairs if "@" in value], "no address is a label value"


def test_the_bounce_rate_and_the_volume_sources_health_are_gauges(tmp_path: Path) -> None:
    from datetime import timedelta

    from bot.volume.job import collect_volumes

    log = tmp_path / "mail.log"
    log.touch()
    settings = settings_from_mapping({
        "monitor": {"domains": ["metrics.example"]},
        "volume": [{"name": "mx1", "kind": "postfix_log", "paths": [str(log)]},
                   {"name": "gone", "kind": "postfix_log", "paths": [str(tmp_path / "missing.log")],
                    "domains": ["other.example"]}]}, "test")
    engine = open_engine(f"sqlite:///{tmp_path / 'm.db'}")
    now = datetime.now(UTC)
    try:
        collect_volumes(engine, settings, {}, now - timedelta(hours=1, minutes=1))  # a window of history
        stamp = datetime.now().strftime("%Y-%m-%dT%H:%M:%S")  # the log's local time
        log.write_text("".join(f"{stamp} mx1 postfix/qmgr[1]: {n:010X}: from=<news@metrics.example>, size=1, "
                               "nrcpt=1 (queue active)\n" for n in range(40)))
        collect_volumes(engine, settings, {}, now)
        metrics.watch_store(engine, settings, lambda: now + timedelta(minutes=1))
        found = samples(metrics.exposition().decode())
    finally:
        engine.dispose()
    assert found[("bouncecheck_sent_in_window", (("domain", "metrics.example"),))] == 40
    assert found[("bouncecheck_bounce_rate", (("domain", "metrics.example"),))] == 0
    assert found[("bouncecheck_volume_source_healthy", (("source", "mx1"),))] == 1
    assert found[("bouncecheck_volume_source_healthy", (("source", "gone"),))] == 0
