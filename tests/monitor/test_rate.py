"""A real bounce rate: our own bounces as a share of the mail we sent, from Postfix and Exim logs the
tests write, a Prometheus stand-in on loopback, and the count fallback when a source goes quiet.

The volume job (bot/volume/job.py) reads the sources into the store, the evaluation judges each
domain by what it read; the card, `scan --json` and the slash answer show the same numbers.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.config import Settings, settings_from_mapping
from bot.models import Cause, Incident, IncidentState
from bot.monitor.evaluate import evaluate
from bot.scan import DomainCount, ScanSummary, summary_json
from bot.slack import blocks
from bot.slack.text_render import render_text
from bot.store import volume_store
from bot.store.figures import read_volumes
from bot.volume.job import collect_volumes
from tests.monitor.conftest import DOMAIN, add_bounces, spread
from tests.servers.prometheus import PrometheusStandIn

NOW = datetime.now().astimezone().replace(second=0, microsecond=0)  # logs are dated in local time


def rate_settings(tmp_path: Path, **volume: Any) -> Settings:
    source = {"name": "mx1", "kind": "postfix_log", "paths": [str(tmp_path / "mail.log")], **volume}
    return settings_from_mapping({
        "monitor": {"domains": [DOMAIN], "window": "1h", "alert_bounces": 50, "alert_rate": "5%", "min_sent": 100},
        "volume": [source],
    }, "test")


def postfix_lines(count: int, *, at: datetime, sender: str = "news@example.com", first: int = 0) -> str:
    stamp = at.strftime("%b %d %H:%M:%S").replace(" 0", "  ", 1) if at.day < 10 else at.strftime("%b %d %H:%M:%S")
    return "".join(f"{stamp} mx1 postfix/qmgr[2211]: {first + n:010X}: from=<{sender}>, size=4821, nrcpt=2 "
                   "(queue active)\n" for n in range(count))


def sent_by_postfix(engine: Engine, settings: Settings, count: int, now: datetime) -> None:
    """`count` messages sent through a real Postfix log: the first read, over a window ago, marks where
    the log was (the source counts whole windows from then)."""
    log = Path(settings.volume[0].paths[0])
    log.touch()
    assert collect_volumes(engine, settings, {}, now - timedelta(minutes=70)) == []
    with log.open("a") as out:
        out.write(postfix_lines(count, at=now - timedelta(minutes=30)))
    assert collect_volumes(engine, settings, {}, now) == []


def opened(engine: Engine, settings: Settings, now: datetime) -> Incident | None:
    return next((i for i, _ in evaluate(engine, settings, now) if i.state is not IncidentState.RESOLVED), None)


def card(incident: Incident, now: datetime) -> str:
    return " ".join(render_text(blocks.incident_card(incident, now=now).payload(), width=300).replace("┃", "").split())


def test_30_own_bounces_of_10000_sent_open_nothing(engine: Engine, tmp_path: Path) -> None:
    settings = rate_settings(tmp_path)
    sent_by_postfix(engine, settings, 10_000, NOW)
    add_bounces(engine, spread(NOW - timedelta(minutes=40), NOW, 30), reason="userunknown", hard=True)
    assert opened(engine, settings, NOW) is None
    with engine.connect() as conn:
        volume = read_volumes(conn, [DOMAIN], NOW, settings)[DOMAIN]
    assert not isinstance(volume, str) and (volume.sent, volume.own, volume.rate) == (10_000, 30, 0.003)


def test_30_own_bounces_of_300_sent_open_an_incident_showing_10_percent(engine: Engine, tmp_path: Path) -> None:
    settings = rate_settings(tmp_path)
    sent_by_postfix(engine, settings, 300, NOW)
    add_bounces(engine, spread(NOW - timedelta(minutes=40), NOW, 30), reason="userunknown", hard=True)
    incident = opened(engine, settings, NOW)
    assert incident is not None and incident.diagnosis is not None
    assert not any("usual" in line for line in incident.diagnosis.evidence), "no history: no sender's 'usual'"
    assert incident is not None, "30 bounces is below the count threshold, 10 % is far above 5 %"
    assert incident.cause is Cause.BAD_RECIPIENTS
    shown = card(incident, NOW)
    assert "Our bounce rate: 10.0 % of 300 sent by mx1 (alert at 5.0 %)" in shown
    assert incident.diagnosis is not None
    assert incident.diagnosis.evidence[0].startswith("Our own bounce rate is 10.0 % of the 300 messages we sent")


def test_a_backscatter_flood_with_a_low_own_rate_names_backscatter_and_shows_the_rate(
        engine: Engine, tmp_path: Path) -> None:
    settings = rate_settings(tmp_path)
    sent_by_postfix(engine, settings, 5_000, NOW)
    add_bounces(engine, spread(NOW - timedelta(minutes=40), NOW, 20), reason="userunknown", hard=True)
    add_bounces(engine, spread(NOW - timedelta(minutes=40), NOW, 275), ours=False, reason="spamdetected",
                first_hop_ip="203.0.113.9", sender="ceo@example.com")
    incident = opened(engine, settings, NOW)
    assert incident is not None and incident.cause is Cause.BACKSCATTER
    shown = card(incident, NOW)
    assert ("Our bounce rate: 0.4 % of 5,000 sent by mx1 (alert at 5.0 %); the other 275 bounces are backscatter or of "
            "unknown origin") in shown
    summary = ScanSummary(mailboxes=(), incidents=(), domains=(DomainCount(
        domain=DOMAIN, bounces_in_window=295, threshold=50, volume=incident.volume),))
    assert summary_json(summary)["domains"][0]["rate"] == {
        "own_bounces": 20, "sent": 5000, "rate": 0.004, "alert_rate": 0.05, "min_sent": 100, "judged": True,
        "other_bounces": 275, "sources": ["mx1"]}


def test_few_sent_is_no_rate_alert(engine: Engine, tmp_path: Path) -> None:
    settings = rate_settings(tmp_path)
    sent_by_postfix(engine, settings, 10, NOW)
    add_bounces(engine, spread(NOW - timedelta(minutes=40), NOW, 3), reason="userunknown", hard=True)
    assert opened(engine, settings, NOW) is None, "3 of 10 sent is 30 %, but 10 is below min_sent"


def test_a_dead_volume_source_falls_back_to_the_count_with_a_note(engine: Engine, tmp_path: Path) -> None:
    settings = rate_settings(tmp_path)
    sent_by_postfix(engine, settings, 300, NOW)
    Path(settings.volume[0].paths[0]).unlink()  # the log is gone
    later = NOW + timedelta(minutes=5)
    [error] = collect_volumes(engine, settings, {}, later)
    assert error.startswith("volume source mx1: cannot read") and "mail.log" in error
    add_bounces(engine, spread(later - timedelta(minutes=40), later, 30), reason="userunknown", hard=True)
    assert opened(engine, settings, later) is None, "no rate from stale numbers: 30 is below the count threshold"
    add_bounces(engine, spread(later - timedelta(minutes=30), later, 30), reason="userunknown", hard=True)
    incident = opened(engine, settings, later)
    assert incident is not None and incident.volume is None
    assert incident.volume_note.startswith("volume source mx1 failed: cannot read")
    shown = card(incident, later)
    assert "Bounce rate: unknown (volume source mx1 failed: cannot read" in shown and "judged by the count" in shown


def test_a_source_that_falls_silent_is_not_trusted(engine: Engine, tmp_path: Path) -> None:
    settings = rate_settings(tmp_path, stale_after="10m")
    sent_by_postfix(engine, settings, 300, NOW)
    with engine.connect() as conn:
        assert read_volumes(conn, [DOMAIN], NOW + timedelta(minutes=9), settings)[DOMAIN] != ""
        silent = read_volumes(conn, [DOMAIN], NOW + timedelta(minutes=11), settings)[DOMAIN]
    assert isinstance(silent, str) and silent.startswith("volume source mx1 has not been read since")


def test_exim_logs_count_what_exim_received_for_delivery(engine: Engine, tmp_path: Path) -> None:
    settings = rate_settings(tmp_path, kind="exim_log")
    log = Path(settings.volume[0].paths[0])
    log.touch()
    collect_volumes(engine, settings, {}, NOW - timedelta(minutes=70))
    at = (NOW - timedelta(minutes=20)).strftime("%Y-%m-%d %H:%M:%S")
    with log.open("a") as out:
        for n in range(120):
            out.write(f"{at} 1r8XyZ-{n:06d}-Cd <= news@example.com H=(app1) [192.0.2.21] P=esmtpa S=1234\n")
            out.write(f"{at} 1r8XyZ-{n:06d}-Cd => r{n}@example.net R=dnslookup T=remote_smtp "
                      f"H=mx.example.net [198.51.100.7] I=[192.0.2.10] C=\"250 OK\"\n")
        out.write(f"{at} 1r8XyZ-999999-Cd <= <> R=1r8XyZ-000001-Cd U=Debian-exim P=local S=2001\n")
    assert collect_volumes(engine, settings, {}, NOW) == []
    with engine.connect() as conn:
        volume = read_volumes(conn, [DOMAIN], NOW, settings)[DOMAIN]
    assert not isinstance(volume, str) and volume.sent == 120


@pytest.fixture
def prometheus() -> Iterator[PrometheusStandIn]:
    with PrometheusStandIn() as stand_in:
        yield stand_in


def test_a_prometheus_count_is_the_sent_side(engine: Engine, tmp_path: Path, prometheus: PrometheusStandIn) -> None:
    query = 'sum(increase(postfix_sent_total{domain="{domain}"}[{window}]))'
    settings = rate_settings(tmp_path, kind="prometheus", paths=[], url=prometheus.url, query=query)
    prometheus.vector('sum(increase(postfix_sent_total{domain="example.com"}[1h]))', 300)
    assert collect_volumes(engine, settings, {}, NOW) == []
    add_bounces(engine, spread(NOW - timedelta(minutes=40), NOW, 30), reason="userunknown", hard=True)
    incident = opened(engine, settings, NOW)
    assert incident is not None and incident.volume is not None and incident.volume.rate == 0.1
    prometheus.fail(500, text="upstream down")
    later = NOW + timedelta(minutes=20)
    [error] = collect_volumes(engine, settings, {}, later)
    assert "Prometheus" in error and "500" in error
    with engine.connect() as conn:
        state = volume_store.state_of(conn, "mx1")
        note = read_volumes(conn, [DOMAIN], later, settings)[DOMAIN]
    assert state.last_error_at == later and isinstance(note, str) and note.startswith("volume source mx1 failed")
    assert json.dumps(note)


def test_the_slash_answer_and_app_home_show_the_same_rate(engine: Engine, tmp_path: Path) -> None:
    from bot.models import CheckResult, Verdict
    from bot.slack.queries import bounce_figures

    settings = rate_settings(tmp_path)
    sent_by_postfix(engine, settings, 300, NOW)
    add_bounces(engine, spread(NOW - timedelta(minutes=40), NOW, 30), reason="userunknown", hard=True)
    figures = bounce_figures(engine, DOMAIN, now=NOW, settings=settings)
    result = CheckResult(target=DOMAIN, target_type="domain", checked_at=NOW, verdict=Verdict.UNKNOWN,
                         notes=("offline",))
    answer = " ".join(render_text(blocks.check_answer(result, figures=figures, incident=None).payload(),
                                  width=300).split())
    assert "Our bounce rate: 10.0 % of 300 sent by mx1 (alert at 5.0 %)" in answer
    home = " ".join(render_text({"blocks": blocks.home_view(blocks.HomeData(
        domains=((DOMAIN, None),), figures={DOMAIN: figures}, now=NOW))["blocks"]}, width=300).split())
    assert "⚠️ example.com: above threshold" in home and "Our bounce rate: 10.0 % of 300 sent" in home


@pytest.mark.parametrize(("data", "says"), [
    ({"volume": [{"name": "a", "kind": "postfix_log"}]}, "[[volume]] #1: postfix_log needs paths"),
    ({"volume": [{"name": "a", "kind": "prometheus", "url": "prom:9090", "query": "x"}]}, "needs url (http(s)"),
    ({"volume": [{"name": "a", "kind": "imap_sent", "mailbox": "nope"}]}, "mailbox 'nope' is not an IMAP"),
    ({"volume": [{"name": "a", "kind": "syslog", "paths": ["/x"]}]}, "[[volume]] #1 kind"),
    ({"volume": [{"name": "a", "kind": "exim_log", "paths": ["/x"]}] * 2}, "volume source names must be unique"),
    ({"monitor": {"alert_rate": "150%"}}, "[monitor] alert_rate: a share between 0 and 100 %"),
    ({"monitor": {"alert_rate": "lots"}}, "[monitor] alert_rate: expected a share such as '5%'"),
])
def test_bad_volume_config_names_the_key(data: dict[str, Any], says: str) -> None:
    from bot.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        settings_from_mapping(data)
    assert says in str(caught.value)


def test_the_logs_teach_our_sending_interfaces_and_host_names(engine: Engine, tmp_path: Path) -> None:
    from bot.models import ServerSource
    from bot.store.servers_store import known_servers_of

    settings = rate_settings(tmp_path, kind="exim_log")
    log = Path(settings.volume[0].paths[0])
    log.touch()
    collect_volumes(engine, settings, {}, NOW - timedelta(minutes=5))
    at = (NOW - timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M:%S")
    log.write_text(f"{at} 1r8XyZ-000001-Cd => r1@example.net R=dnslookup T=remote_smtp H=mx.example.net "
                   f"[198.51.100.7] I=[192.0.2.77] C=\"250 OK\"\n")
    collect_volumes(engine, settings, {}, NOW)
    with engine.connect() as conn:
        learned = [(s.kind.value, s.value) for s in known_servers_of(conn, [DOMAIN]) if s.source is ServerSource.LOGS]
    assert learned == [("ip", "192.0.2.77")], "our outbound interface, not the remote MX"


def test_a_compromised_sender_is_a_jump_in_its_own_volume(engine: Engine, tmp_path: Path) -> None:
    settings = rate_settings(tmp_path)
    log = Path(settings.volume[0].paths[0])
    log.touch()
    collect_volumes(engine, settings, {}, NOW - timedelta(hours=6))
    with log.open("a") as out:  # the day before: alice sends a little, news a lot
        out.write(postfix_lines(24, at=NOW - timedelta(hours=5), sender="alice@example.com"))
        out.write(postfix_lines(2_400, at=NOW - timedelta(hours=5), first=100))
    collect_volumes(engine, settings, {}, NOW - timedelta(hours=4))
    with log.open("a") as out:  # this hour: alice's account sends 3,000, news its usual 100
        out.write(postfix_lines(3_000, at=NOW - timedelta(minutes=20), sender="Alice+x@Example.com", first=10_000))
        out.write(postfix_lines(100, at=NOW - timedelta(minutes=20), first=20_000))
    collect_volumes(engine, settings, {}, NOW)
    for n in range(25):
        add_bounces(engine, NOW - timedelta(minutes=10), 10, sender="alice@example.com", reason="spamdetected",
                    recipient_domain=f"r{n}.example.net")
    incident = opened(engine, settings, NOW)
    assert incident is not None and incident.cause is Cause.COMPROMISED_SENDER
    assert incident.diagnosis is not None
    said = " ".join(incident.diagnosis.evidence)
    # senders are counted in clock hours: the span is said from the hour, never as "the last hour"
    assert re.search(r"alice@example\.com sent 3,000 messages since \d\d:00 UTC, \d+× its usual \d+\.", said), said
    assert "news@example.com sent" not in said, "its usual volume: no jump"


# ---- own bounces are never muted by a small count of sent mail (review 16 #1) --------------------------


@pytest.mark.parametrize(("sent", "bounced"), [(0, 500), (99, 400)], ids=["none-sent", "below-min-sent"])
def test_own_bounces_are_judged_by_the_count_when_the_rate_is_not(engine: Engine, tmp_path: Path, sent: int,
                                                                  bounced: int) -> None:
    """A source that counts nothing (the MTA's logging moved) or little must not silence 10× the threshold."""
    from bot.slack.queries import bounce_figures

    settings = rate_settings(tmp_path)
    sent_by_postfix(engine, settings, sent, NOW)
    add_bounces(engine, spread(NOW - timedelta(minutes=40), NOW, bounced), reason="userunknown", hard=True)
    incident = opened(engine, settings, NOW)
    assert incident is not None and incident.volume is not None and not incident.volume.judged
    assert "judged by the count" in card(incident, NOW)
    figures = bounce_figures(engine, DOMAIN, now=NOW, settings=settings)
    assert figures.alerting
    home = " ".join(render_text({"blocks": blocks.home_view(blocks.HomeData(
        domains=((DOMAIN, None),), figures={DOMAIN: figures}, now=NOW))["blocks"]}, width=300).split())
    assert "above threshold" in home and "below threshold" not in home
    from bot.scan import summary_text
    text = summary_text(ScanSummary(mailboxes=(), incidents=(), domains=(DomainCount(
        domain=DOMAIN, bounces_in_window=bounced, threshold=50, volume=incident.volume),)), settings)
    assert "ABOVE THRESHOLD" in text and "judged by the count" in text


def test_the_rule_is_one(tmp_path: Path) -> None:
    from bot.models import SentVolume

    few = SentVolume(sent=10, own=3, other=0, alert_rate=0.05, min_sent=100)
    assert not few.alerting(3, 50) and few.alerting(60, 50)
    many = SentVolume(sent=10_000, own=60, other=10, alert_rate=0.05, min_sent=100)
    assert not many.alerting(70, 50), "judged: 0.6 % is our rate, 10 others are below the count"


# ---- a subdomain's sender counts for its monitored parent, as its bounces do (#2) ----------------------


def test_a_subdomain_sender_counts_for_its_parent_domain(engine: Engine, tmp_path: Path) -> None:
    settings = rate_settings(tmp_path)
    log = Path(settings.volume[0].paths[0])
    log.touch()
    collect_volumes(engine, settings, {}, NOW - timedelta(minutes=70))
    with log.open("a") as out:
        out.write(postfix_lines(300, at=NOW - timedelta(minutes=30), sender="ceo@example.com"))
        out.write(postfix_lines(5000, at=NOW - timedelta(minutes=30), sender="news@news.example.com", first=1000))
        out.write(postfix_lines(7, at=NOW - timedelta(minutes=30), sender="x@notexample.com", first=9000))
    assert collect_volumes(engine, settings, {}, NOW) == []
    add_bounces(engine, spread(NOW - timedelta(minutes=40), NOW, 100), reason="userunknown", hard=True,
                sender="news@news.example.com")
    with engine.connect() as conn:
        volume = read_volumes(conn, [DOMAIN], NOW, settings)[DOMAIN]
        senders = volume_store.busiest_senders(conn, ["mx1"], DOMAIN, NOW - timedelta(hours=2), NOW)
    assert not isinstance(volume, str) and volume.sent == 5300, "100 of 5,300 is 1.9 %, not 100 of 300"
    assert opened(engine, settings, NOW) is None
    assert senders[0] == ("news@news.example.com", 5000), "its sender is the parent's too"


# ---- a source that has not counted a whole window is not trusted (#3) ---------------------------------


def test_a_log_read_from_its_end_is_trusted_only_a_window_later(engine: Engine, tmp_path: Path) -> None:
    """Enabled 5 minutes ago: 5 minutes of sent mail against an hour of bounces is no rate."""
    settings = rate_settings(tmp_path)
    log = Path(settings.volume[0].paths[0])
    log.write_text(postfix_lines(1200, at=NOW - timedelta(minutes=30)))  # history: not counted
    collect_volumes(engine, settings, {}, NOW - timedelta(minutes=5))
    with log.open("a") as out:
        out.write(postfix_lines(100, at=NOW - timedelta(minutes=3), first=5000))
    collect_volumes(engine, settings, {}, NOW)
    add_bounces(engine, spread(NOW - timedelta(minutes=59), NOW, 26), reason="userunknown", hard=True)
    with engine.connect() as conn:
        volume = read_volumes(conn, [DOMAIN], NOW, settings)[DOMAIN]
    assert opened(engine, settings, NOW) is None, "26 bounces by the count: below 50, no false 26 %"
    assert collect_volumes(engine, settings, {}, NOW + timedelta(minutes=56)) == []
    with engine.connect() as conn:
        later = read_volumes(conn, [DOMAIN], NOW + timedelta(minutes=56), settings)[DOMAIN]
    since = (NOW - timedelta(minutes=5)).astimezone(UTC)
    assert volume == (f"volume source mx1 has counted only since {since:%Y-%m-%d %H:%M} UTC, less than the 1h window")
    assert not isinstance(later, str), "a window after the first read it is trusted"


def test_a_lost_rotation_restarts_the_warm_up(engine: Engine, tmp_path: Path) -> None:
    settings = rate_settings(tmp_path)
    sent_by_postfix(engine, settings, 300, NOW)
    log = Path(settings.volume[0].paths[0])
    log.rename(tmp_path / "elsewhere.log")  # rotated where the reader does not look
    log.write_text(postfix_lines(10, at=NOW + timedelta(minutes=1), first=50_000))
    later = NOW + timedelta(minutes=2)
    assert collect_volumes(engine, settings, {}, later) == []
    with engine.connect() as conn:
        state = volume_store.state_of(conn, "mx1")
        volume = read_volumes(conn, [DOMAIN], later, settings)[DOMAIN]
    assert any("is not counted" in note for note in state.notes)
    assert state.counting_since == later and isinstance(volume, str) and "counted only since" in volume


def test_a_prometheus_source_counts_the_whole_window_from_its_first_read(
        engine: Engine, tmp_path: Path, prometheus: PrometheusStandIn) -> None:
    settings = rate_settings(tmp_path, kind="prometheus", paths=[], url=prometheus.url, query="q{domain}")
    prometheus.vector("qexample.com", 300)
    assert collect_volumes(engine, settings, {}, NOW) == []
    with engine.connect() as conn:
        assert volume_store.state_of(conn, "mx1").counting_since == NOW - timedelta(hours=1)


# ---- two collectors at once count a read once (#6) ----------------------------------------------------


def test_two_collectors_at_once_count_the_lines_once(engine: Engine, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    settings = rate_settings(tmp_path)
    log = Path(settings.volume[0].paths[0])
    log.touch()
    collect_volumes(engine, settings, {}, NOW - timedelta(minutes=70))
    with log.open("a") as out:
        out.write(postfix_lines(1000, at=NOW - timedelta(minutes=30)))
    original, barrier = volume_store.state_of, threading.Barrier(2)

    def state_of_then_wait(conn: Any, source: str) -> volume_store.SourceState:
        found = original(conn, source)
        barrier.wait(timeout=10)  # both have the same cursor before either saves
        return found

    monkeypatch.setattr(volume_store, "state_of", state_of_then_wait)
    errors: list[list[str]] = []
    threads = [threading.Thread(target=lambda: errors.append(collect_volumes(engine, settings, {}, NOW)))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    monkeypatch.undo()
    assert errors == [[], []], "the one that lost says nothing: its read is the other's"
    with engine.connect() as conn:
        volume = read_volumes(conn, [DOMAIN], NOW, settings)[DOMAIN]
        assert volume_store.state_of(conn, "mx1").reads == 2
    assert not isinstance(volume, str) and volume.sent == 1000


# ---- top senders are said as the hour buckets count them (#8) -----------------------------------------


def test_top_senders_false_jump(engine: Engine) -> None:
    """A batch at 10:05 is not "in the last 15 minutes" at 11:14: a window under an hour names no sender."""
    from bot.models import Diagnosis, SentVolume
    from bot.monitor.diagnosis import _volume_jumps
    from bot.monitor.rates import WindowStats
    from bot.store.figures import _top_senders

    now = datetime(2026, 3, 2, 11, 14, tzinfo=UTC)
    senders: Counter[tuple[str, datetime]] = Counter()
    for hours in range(24):
        senders[("shop@example.com", now - timedelta(hours=hours + 1))] += 1
    senders[("news@example.com", datetime(2026, 3, 2, 10, 5, tzinfo=UTC))] += 1000
    with engine.begin() as conn:
        volume_store.record_read(conn, "mx1", now=now, cursor=None, counts=Counter(), totals={}, senders=senders)
    window = timedelta(minutes=15)
    with engine.connect() as conn:
        top = _top_senders(conn, ["mx1"], DOMAIN, now - window, now)
        hourly = _top_senders(conn, ["mx1"], DOMAIN, now - timedelta(hours=1), now)
    assert top == ()
    volume = SentVolume(sent=0, own=0, other=0, alert_rate=0.05, min_sent=100, top_senders=top)
    stats = WindowStats(domain=DOMAIN, start=now - window, end=now)
    assert _volume_jumps(Diagnosis(cause=Cause.MIXED), stats, volume, window) == []
    assert hourly[0][:2] == ("news@example.com", 1000), "since 10:00, the hour 10:14 falls in"
    stated = SentVolume(sent=0, own=0, other=0, alert_rate=0.05, min_sent=100, top_senders=hourly,
                        senders_since=datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    [line] = _volume_jumps(Diagnosis(cause=Cause.MIXED), stats, stated, timedelta(hours=1))
    assert line.startswith("news@example.com sent 1,000 messages since 10:00 UTC, 10× or more")


# ---- an unexpected error in one source is that source's failure, not the evaluation's (#9) ------------


def test_an_unexpected_error_fails_its_source_only(engine: Engine, tmp_path: Path) -> None:
    settings = settings_from_mapping({
        "monitor": {"domains": [DOMAIN], "window": "1h", "alert_bounces": 50, "alert_rate": "5%"},
        "volume": [{"name": "odd", "kind": "postfix_log", "paths": [str(tmp_path / "odd.log")]},
                   {"name": "mx1", "kind": "postfix_log", "paths": [str(tmp_path / "mail.log")]}]}, "test")
    (tmp_path / "mail.log").touch()
    with engine.begin() as conn:  # a cursor this version cannot take (a bug, an older shape)
        volume_store.record_read(conn, "odd", now=NOW, cursor={str(tmp_path / "odd.log"): {"bogus": 1}},
                                 counts={}, totals={})
    [error] = collect_volumes(engine, settings, {}, NOW)
    assert error.startswith("volume source odd: unexpected TypeError:") and "\n" not in error
    with engine.connect() as conn:
        assert volume_store.state_of(conn, "odd").last_error.startswith("unexpected TypeError")
        assert volume_store.state_of(conn, "mx1").last_ok_at == NOW.astimezone(UTC)


# ---- the figures read each source's sender history once, whatever the number of domains (#5) ---------


def test_sender_history_is_read_once_per_evaluation(engine: Engine, tmp_path: Path) -> None:
    from sqlalchemy import event, inspect

    domains = [f"d{n}.example" for n in range(20)]
    settings = settings_from_mapping({"monitor": {"domains": domains, "alert_rate": "5%"},
                                      "volume": [{"name": "mx1", "kind": "postfix_log", "paths": ["/x"]}]}, "test")
    with engine.begin() as conn:  # a healthy source, counting for hours
        volume_store.record_read(conn, "mx1", now=NOW, cursor={}, counts={}, totals={},
                                 counting_since=NOW - timedelta(hours=3))
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with engine.connect() as conn:
            volumes = read_volumes(conn, domains, NOW, settings)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert all(not isinstance(v, str) for v in volumes.values())
    assert sum("min(sent_senders.hour)" in s for s in statements) == 1
    indexes = {tuple(i["column_names"]) for i in inspect(engine).get_indexes("sent_senders")}
    assert ("source", "hour") in indexes
