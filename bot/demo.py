"""`bouncecheck demo`: the whole pipeline on a generated sample mailbox, rendered as Slack would show it.

    write the sample Maildir → scan (parse, store in SQLite) → blacklist check of example.com →
    evaluate into an incident → print the card, its thread and a `/bouncecheck example.com` answer

Needs no configuration or credentials: SQLite in a temporary directory, the system resolver with
short timeouts (or `--dns-server`, or none with `--offline`). The Block Kit JSON is written to
files for Slack's Block Kit Builder.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Engine

from bot.config import DNSSettings, MailboxSettings, MonitorSettings, Settings, StorageSettings
from bot.demo_mailbox import OUR_DOMAIN, OUR_HOST, OUR_IP, SampleMessage, sample_messages
from bot.errors import BounceCheckError, DNSError
from bot.mail.scanner import FolderResult, ScanContext, scan_all
from bot.models import CheckResult, Incident, IncidentEvent, Verdict
from bot.monitor.evaluate import evaluate
from bot.slack import blocks
from bot.slack.notifier import catalogue_delist_urls
from bot.slack.queries import bounce_figures
from bot.slack.text_render import render_text
from bot.store import incidents_store
from bot.store.database import open_engine

STEPS = 5
EVALUATED_MINUTES_AGO = (45, 30, 15, 0)


def demo_settings(workdir: Path, *, nameservers: Sequence[str] = (), dns_timeout: float = 1.5) -> Settings:
    """Embedded defaults: our domain example.com sending from 192.0.2.10, a flood threshold of 50 an hour."""
    return Settings(
        storage=StorageSettings(url=f"sqlite:///{workdir / 'bouncecheck.db'}"),
        mailboxes=(MailboxSettings(name="postmaster", path=str(workdir / "Maildir"), backfill=timedelta(days=2)),),
        monitor=MonitorSettings(domains=(OUR_DOMAIN,), sending_ips=(OUR_IP,), sending_hosts=(OUR_HOST,),
                                alert_bounces=50, window=timedelta(hours=1)),
        dns=DNSSettings(nameservers=tuple(nameservers), timeout=timedelta(seconds=dns_timeout)),
        source_path="(embedded demo defaults)",
    )


def run_demo(out: TextIO, *, offline: bool = False, nameservers: Sequence[str] = (),
             output_dir: Path = Path("demo-output")) -> int:
    started = time.monotonic()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="bouncecheck-demo-") as tmp:
        workdir = Path(tmp)
        settings = demo_settings(workdir, nameservers=nameservers)
        progress = _Progress(out, started)

        progress.step(1, "writing the sample postmaster mailbox")
        sample = list(sample_messages(now))
        _write_maildir(workdir / "Maildir", sample)
        progress.done(_sample_summary(sample))

        engine = open_engine(settings.storage.url)
        try:
            progress.step(2, "scanning it: parse every message, store the bounces in SQLite")
            results = scan_all(settings.mailboxes, ScanContext.from_settings(settings, engine, {}))
            progress.done(_scan_summary(results))

            progress.step(3, f"checking {OUR_DOMAIN} against the blocklists and its SPF/DMARC")
            check, dns_problem = _check(settings, engine, now, offline=offline)
            progress.done(f"unknown: {dns_problem}" if dns_problem else (f"verdict: {check.verdict}" if check else ""))

            progress.step(4, "evaluating bounce rates into incidents, as the scheduler did over the last hour")
            outcomes = _replay_evaluations(engine, settings, now)
            progress.done(f"{len(outcomes)} incident(s)" if outcomes else "no incident: the rates are normal")

            progress.step(5, "rendering what Slack would show")
            progress.done("")
            payloads = _render(out, engine, settings, now, outcomes, check, dns_problem)
        finally:
            engine.dispose()
    output_dir.mkdir(parents=True, exist_ok=True)
    for name, payload in payloads.items():
        builder = {key: payload[key] for key in ("blocks", "attachments") if payload.get(key)}
        (output_dir / f"{name}.json").write_text(json.dumps(builder, indent=2, ensure_ascii=False))
    out.write(f"\nBlock Kit JSON for https://app.slack.com/block-kit-builder written to {output_dir}/ "
              f"({', '.join(f'{n}.json' for n in payloads)}).\n")
    out.write(f"Done in {time.monotonic() - started:.1f} s.\n")
    return 0


class _Progress:
    def __init__(self, out: TextIO, started: float) -> None:
        self._out, self._started = out, started

    def step(self, number: int, text: str) -> None:
        self._out.write(f"[{number}/{STEPS}] {text}… ")
        self._out.flush()

    def done(self, text: str) -> None:
        self._out.write(f"{text} ({time.monotonic() - self._started:.1f} s)\n")
        self._out.flush()


def _write_maildir(root: Path, sample: Sequence[SampleMessage]) -> None:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for message in sample:
        (root / "new" / message.name).write_bytes(message.raw)


def _sample_summary(sample: Sequence[SampleMessage]) -> str:
    groups: dict[str, int] = {}
    for message in sample:
        groups[message.group] = groups.get(message.group, 0) + 1
    return f"{len(sample)} messages over 3 hours (" + ", ".join(f"{n} {g}" for g, n in groups.items()) + ")"


def _scan_summary(results: Sequence[FolderResult]) -> str:
    errors = [e for r in results for e in r.errors]
    text = (f"{sum(r.new_messages for r in results)} new messages, "
            f"{sum(r.bounces for r in results)} bounces stored")
    return text + (f"; errors: {'; '.join(errors)}" if errors else "")


Replayed = tuple[Incident, list[tuple[Incident, IncidentEvent]]]


def _replay_evaluations(engine: Engine, settings: Settings, now: datetime) -> list[Replayed]:
    """Evaluate at a few moments of the last hour, so the thread shows how the flood grew.

    Each event keeps the incident as it was when the event happened, as its thread reply was written then.
    """
    gathered: dict[int, Replayed] = {}
    for minutes_ago in EVALUATED_MINUTES_AGO:
        for incident, events in evaluate(engine, settings, now - timedelta(minutes=minutes_ago)):
            earlier = gathered.get(incident.id, (incident, []))[1]
            gathered[incident.id] = (incident, earlier + [(incident, event) for event in events])
    return list(gathered.values())


def _check(settings: Settings, engine: Engine, now: datetime, *,
           offline: bool) -> tuple[CheckResult | None, str | None]:
    """The real check through the configured resolver; offline, an honest 'unknown' and why.

    A check that could not run is stored as such, so the card the evaluation makes says unknown too.
    """
    from bot.reputation.check import check_target

    try:
        if offline:
            raise DNSError("DNS not queried (--offline)")
        result = check_target(OUR_DOMAIN, settings)
    except BounceCheckError as exc:
        with engine.begin() as conn:
            incidents_store.save_failed_check(conn, OUR_DOMAIN, now - timedelta(hours=1), str(exc))
        return None, str(exc)
    with engine.begin() as conn:
        incidents_store.save_check(conn, OUR_DOMAIN, result)
    return result, None


def _render(out: TextIO, engine: Engine, settings: Settings, now: datetime,
            outcomes: Sequence[Replayed], check: CheckResult | None,
            dns_problem: str | None) -> dict[str, dict[str, Any]]:
    payloads: dict[str, dict[str, Any]] = {}
    delist = catalogue_delist_urls(settings.dns)
    for incident, events in outcomes:
        urls = delist(incident.listings)
        card = blocks.incident_card(incident, now=now, delist_urls=urls).payload()
        payloads[f"incident-{incident.id}-card"] = card
        _banner(out, f"#bounce-alerts · alert card for incident #{incident.id} (kept current with chat.update)")
        out.write(render_text(card) + "\n")
        replies = [m.payload() for then, e in events if (m := blocks.followup(e, then, delist_urls=urls))]
        if replies:
            _banner(out, f"thread of incident #{incident.id}")
            for reply in replies:
                out.write("  ↳ " + render_text(reply).replace("\n", "\n    ") + "\n")
    answer = _check_answer(engine, settings, now, check, dns_problem)
    payloads["bouncecheck-answer"] = answer
    _banner(out, f"/bouncecheck {OUR_DOMAIN} (only you can see this)")
    out.write(render_text(answer) + "\n")
    return payloads


def _check_answer(engine: Engine, settings: Settings, now: datetime, check: CheckResult | None,
                  dns_problem: str | None) -> dict[str, Any]:
    why = f"the check could not run: {dns_problem or 'no reason given'}"
    result = check or CheckResult(target=OUR_DOMAIN, target_type="domain", checked_at=now,
                                  verdict=Verdict.UNKNOWN, notes=(why,))
    figures = bounce_figures(engine, OUR_DOMAIN, now=now, settings=settings)
    with engine.connect() as conn:
        incident = next(iter(incidents_store.unresolved(conn)), None)
    link = (blocks.IncidentLink(incident_id=incident.id, domain=incident.domain, state=incident.state, url=None)
            if incident else None)
    return blocks.check_answer(result, figures=figures, incident=link).payload()


def _banner(out: TextIO, title: str) -> None:
    out.write(f"\n── {title} " + "─" * max(0, 96 - len(title)) + "\n")
