"""Slack delivery targets of issues 6 and 12: alert latency, exactly-once through 429/500/kill, and the
delivery scenario table (messages expected / delivered / duplicated / missing, seconds to resume or take over).

Usage: .venv/bin/python bench/slack_delivery.py [--only NAME[,NAME…]] [--list] [--domains 5] [--incidents 6]
       [--followups 5] [--kills 2] [--failures 3] [--retry-after 1] [--keep-logs]
Run one scenario: .venv/bin/python bench/slack_delivery.py --only kill-post   (`--list` names them all; `--only`
takes several, comma-separated or repeated, and the groups `outbox`, `kill`, `takeover`, `table`).

1. `latency`: the bot as `bouncecheck run` builds it (bot.runner.start_bot: store, SlackNotifier with its
   courier, the APScheduler jobs, scan every 1 s) against the Slack stand-in; a scan stores bounces that
   cross a domain's threshold and the time until the stand-in receives the card is measured, once per
   domain (target ≤ 5 s).
2. `exactly-once`: incidents with follow-ups are queued, the stand-in answers 429 (Retry-After) and then
   500s, and the delivering process (a real subprocess) is killed with SIGKILL mid-delivery, `--kills`
   times, and restarted. Every message must arrive exactly once, each thread in order.
3. The scenario table, one row each (issue 12). In process, on SQLite: `--incidents` incidents with
   `--followups` follow-ups each queued by the real SlackNotifier, sent by one OutboxDelivery run in a loop
   with the real clock (as the scheduled job does); the next `--failures` chat.postMessage calls fail, and
   seconds is the time to deliver everything:
     429          answered 429 with Retry-After `--retry-after` s (the outbox waits that long);
     500          answered 500, not carried out (backoff 5 s, then sent);
     accept-500   carried out by Slack, then answered 500 (the retry must find the message, not post again);
     accept-drop  carried out, then the connection closed without an answer (likewise);
     refusal      refused for good (channel_not_found): dead letters, their threads held back; the dead-letter
                  count is noted, then `bouncecheck outbox retry` is done (outbox_store.revive) and one more
                  delivery; those messages count as delivered only then; seconds: from the retry to all sent.
   Real `bouncecheck run` processes (tests/e2e/conftest.py BotProcess) against a fresh Dovecot over IMAPS,
   the loopback DNS server and the stand-in, as tests/e2e/test_run_process.py and test_takeover.py do:
     kill-scan      SIGKILL (the process group) while a scan of 150 bounces of 40 kB holds the folder lease,
                    restart; seconds from the restart (start-up included) until every bounce is stored;
     kill-post      SIGKILL while the card post is in flight (Slack takes it, answers 1 s late to no one),
                    restart; seconds from the restart until the outbox is empty (the card found, not re-posted);
     takeover-post  two instances on a throw-away PostgreSQL schema, one in its own pid namespace (`unshare
                    --pid --fork`: another machine); the one posting the card (Slack 2 s slow) is SIGKILLed;
                    seconds from the kill until the survivor has the outbox empty;
     takeover-scan  the same pair; the one in a long scan is SIGKILLed; seconds from the kill until the
                    survivor has stored every bounce.
   expected: the outbox's posts (cards, thread replies, notices) by dedupe key; delivered: those in the
   stand-in (top level or in a thread); duplicated: extra copies of one key; missing: never posted. Every
   row also checks that each incident's messages arrived in order, the process rows that every bounce is
   stored once (a kill that misses the scan is tried again, up to three times). All of it: about 2 minutes.
Nothing leaves the machine (Slack, IMAP, DNS and PostgreSQL are all on 127.0.0.1). Prints the figures and
PASS, or FAIL (exit 1) if latency is over target, a message is duplicated or missing (or out of order), or
a row's seconds reach 30. Logs (the bots', the in-process delivery's) are kept in a printed directory on FAIL.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _delivery_scenarios import CHANNEL, LIMIT, SCENARIOS, Row, now, print_table, queue_incidents, run_scenario
from sqlalchemy import func, select

from bot.config import Settings, settings_from_mapping
from bot.models import (
    Action,
    CheckResult,
    Kind,
    Original,
    Reason,
    RecipientFailure,
    Report,
    Verdict,
)
from bot.runner import start_bot
from bot.slack.app import web_client
from bot.slack.delivery import deliver_outbox
from bot.slack.gateway import SlackGateway
from bot.store.database import open_engine
from bot.store.ingest import Batch, StoredMessage, save_batch
from bot.store.schema import outbox
from tests.servers.slack_api import SlackStandIn

TOKEN_ENV = "BENCH_SLACK_BOT_TOKEN"
LATENCY_TARGET = 5.0
PARTS = ("latency", "exactly-once")
GROUPS = {
    "outbox": ("429", "500", "accept-500", "accept-drop", "refusal"),
    "kill": ("kill-scan", "kill-post"),
    "takeover": ("takeover-post", "takeover-scan"),
    "table": tuple(SCENARIOS),
}


# --------------------------------------------------------------------------- 1. latency


class FloodScan:
    """The scan job's stand-in: stores a flood for one domain when armed, else finds nothing."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = open_engine(settings.storage.url)
        self.pending: list[str] = []
        self.done: dict[str, float] = {}
        self.lock = threading.Lock()
        self.uid = 0

    def __call__(self) -> list[str]:
        with self.lock:
            domains, self.pending = self.pending, []
        for domain in domains:
            self._flood(domain, self.settings.monitor.alert_bounces + 10)
            self.done[domain] = time.monotonic()  # the stand-in stamps calls with the same clock
        return []

    def _flood(self, domain: str, count: int) -> None:
        at = now()
        messages = []
        for n in range(count):
            self.uid += 1
            report = Report(kind=Kind.BOUNCE, original=Original(from_address=f"news@{domain}", ours=True),
                            recipients=(RecipientFailure(address=f"user{n}@remote{n % 7}.example", action=Action.FAILED,
                                                         status="5.1.1", reply_code="550", reason=Reason.USERUNKNOWN,
                                                         hard=True, diagnostic="550 5.1.1 User unknown",
                                                         remote_mta="mx.remote.example"),))
            messages.append(StoredMessage(content_hash=f"{domain}-{self.uid}", uid=self.uid, received_at=at,
                                          size=2000, truncated=False, report=report))
        save_batch(self.engine, Batch(mailbox="bench", folder="INBOX", uidvalidity=1, last_uid=self.uid,
                                      scanned_at=at, messages=messages), self.settings.monitor.domains)


def clean_check(target: str, settings: Settings, *, bounce_ips: Any = ()) -> CheckResult:
    return CheckResult(target=target, target_type="domain", checked_at=now(), verdict=Verdict.CLEAN)


def latency(args: argparse.Namespace, slack: SlackStandIn, tmp: Path) -> tuple[bool, list[float]]:
    domains = [f"flood{n}.example" for n in range(args.domains)]
    settings = settings_from_mapping({
        "storage": {"url": f"sqlite:///{tmp / 'latency.db'}"},
        "schedule": {"scan_interval": "1s", "deliver_interval": "5s"},
        "monitor": {"domains": domains, "alert_bounces": 50, "window": "1h"},
        "slack": {"api_url": slack.api_url, "channel": CHANNEL, "bot_token_env": TOKEN_ENV},
    })
    scan = FloodScan(settings)
    bot = start_bot(settings, {TOKEN_ENV: "xoxb-bench"}, scan=scan, check=clean_check)
    figures = []
    try:
        time.sleep(1.5)  # let the first (baseline) runs pass
        for domain in domains:
            with scan.lock:
                scan.pending.append(domain)

            def card_posted(domain: str = domain) -> bool:
                return any(domain in str(c.body.get("text", "")) and not c.body.get("thread_ts")
                           for c in slack.of("chat.postMessage"))

            slack.wait_for(card_posted, timeout=30)
            posted = next(c.at for c in slack.of("chat.postMessage")
                          if domain in str(c.body.get("text", "")) and not c.body.get("thread_ts"))
            figures.append(posted - scan.done[domain])
    finally:
        bot.stop()
        scan.engine.dispose()
    ok = max(figures) <= LATENCY_TARGET
    print(f"1. alert latency after the scan that crosses the threshold ({len(figures)} domains): "
          f"median {statistics.median(figures):.3f} s, max {max(figures):.3f} s (target ≤ {LATENCY_TARGET:g} s)")
    return ok, figures


# --------------------------------------------------------------------------- 2. exactly once


def deliverer(db_url: str, api_url: str) -> int:
    """The delivering process (`--deliver`): the scheduled delivery job, run until nothing is pending."""
    engine = open_engine(db_url)
    settings = settings_from_mapping({"slack": {"api_url": api_url}})
    client = web_client(settings.slack, "xoxb-bench", timeout=5, retries=1)
    while True:
        deliver_outbox(engine, SlackGateway(client), now(), lease=timedelta(seconds=2))
        with engine.connect() as conn:
            pending = conn.scalar(select(func.count()).select_from(outbox).where(outbox.c.delivered_at.is_(None)))
        if not pending:
            return 0
        time.sleep(0.2)


def _posted_at_least(slack: SlackStandIn, count: int) -> bool:
    return len(slack.of("chat.postMessage")) >= count


def exactly_once(args: argparse.Namespace, slack: SlackStandIn, tmp: Path) -> bool:
    db_url = f"sqlite:///{tmp / 'outbox.db'}"
    keys = queue_incidents(db_url, args.incidents, args.followups)
    slack.delay["chat.postMessage"] = 0.03  # a little latency, so a kill lands mid-delivery
    slack.fail("chat.postMessage", 429, retry_after=1, count=2)
    slack.fail("chat.postMessage", 500, count=3)
    command = [sys.executable, __file__, "--deliver", db_url, slack.api_url]
    started = time.perf_counter()
    kills = 0
    with (tmp / "exactly-once.log").open("ab") as log:  # the deliverer's warnings (each 429, 500), not the terminal
        while True:
            process = subprocess.Popen(command, stderr=log)
            if kills < args.kills:
                target = (kills + 1) * len(keys) // (args.kills + 1)
                slack.wait_for(partial(_posted_at_least, slack, target), timeout=60)
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
                kills += 1
                time.sleep(2.1)  # the killed process's leases run out
                continue
            if process.wait(timeout=120) != 0:
                print(f"2. the deliverer failed (its log: {tmp / 'exactly-once.log'})")
                return False
            break
    took = time.perf_counter() - started
    posted = list(slack.of("chat.postMessage"))
    sent_keys = [str(c.body["metadata"]["event_payload"]["key"]) for c in posted]
    duplicates = len(sent_keys) - len(set(sent_keys))
    missing = set(keys) - set(sent_keys)
    out_of_order = 0
    for n in range(args.incidents):
        prefix = f"incident:{n + 1}:"
        expected = [k for k in keys if k.startswith(prefix)]
        got = [k for k in sent_keys if k.startswith(prefix)]
        out_of_order += expected != got
    refused = [c.status for c in slack.calls if c.method == "chat.postMessage" and c.status != 200]
    print(f"2. {len(keys)} messages ({args.incidents} cards, {len(keys) - args.incidents} thread follow-ups) "
          f"through {refused.count(429)}×429, {refused.count(500)}×500 and {kills}×SIGKILL of the delivering "
          f"process: {len(set(sent_keys) & set(keys))} delivered, {duplicates} duplicates, {len(missing)} missing, "
          f"{out_of_order} threads out of order, {len(slack.of('chat.update'))} card updates, "
          f"{len(slack.of('conversations.history')) + len(slack.of('conversations.replies'))} "
          f"already-posted lookups; {took:.1f} s")
    return duplicates == 0 and not missing and out_of_order == 0




def selected(parser: argparse.ArgumentParser, only: list[str] | None) -> list[str]:
    """The parts and scenarios to run, in the bench's order."""
    if not only:
        return [*PARTS, *SCENARIOS]
    names: set[str] = set()
    for name in (n.strip() for item in only for n in item.split(",") if n.strip()):
        if name in GROUPS:
            names.update(GROUPS[name])
        elif name in PARTS or name in SCENARIOS:
            names.add(name)
        else:
            parser.error(f"unknown scenario {name!r}; --list names them")
    return [n for n in (*PARTS, *SCENARIOS) if n in names]


def listing() -> str:
    lines = ["parts: " + ", ".join(PARTS), "scenarios (part 3):"]
    lines += [f"  {name:<14} seconds to {scenario.measured}{' (real processes)' if scenario.processes else ''}"
              for name, scenario in SCENARIOS.items()]
    lines += ["groups: " + "; ".join(f"{g} = {', '.join(names)}" for g, names in GROUPS.items() if g != "table")
              + "; table = every scenario"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", metavar="NAME[,NAME…]",
                        help="run only these parts, scenarios or groups (see --list); repeatable")
    parser.add_argument("--list", action="store_true", help="name the parts and scenarios, and exit")
    parser.add_argument("--domains", type=int, default=5, help="part 1: domains flooded one after the other")
    parser.add_argument("--incidents", type=int, default=6, help="parts 2 and 3: incidents queued")
    parser.add_argument("--followups", type=int, default=5, help="parts 2 and 3: thread follow-ups per incident")
    parser.add_argument("--kills", type=int, default=2, help="part 2: SIGKILLs of the delivering process")
    parser.add_argument("--failures", type=int, default=3,
                        help="part 3 in process: chat.postMessage calls that fail (or are refused) in a row")
    parser.add_argument("--retry-after", type=int, default=1, help="part 3, 429: the Retry-After seconds")
    parser.add_argument("--keep-logs", action="store_true", help="keep the logs directory on PASS too")
    parser.add_argument("--deliver", nargs=2, metavar=("DB_URL", "API_URL"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.deliver:
        return deliverer(*args.deliver)
    if args.list:
        print(listing())
        return 0
    if args.failures < 1:
        parser.error("--failures must be at least 1")
    names = selected(parser, args.only)
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)  # the figures in order with the progress lines (stderr)
    work = Path(tempfile.mkdtemp(prefix="bench-slack-delivery-"))
    # The bot's own log lines (each retried post, each dead letter) go to a file, not between the figures.
    logging.basicConfig(filename=work / "bench.log", level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    results: list[bool] = []
    try:
        if "latency" in names:
            with SlackStandIn() as slack:
                fast, _ = latency(args, slack, work)
            results.append(fast)
        if "exactly-once" in names:
            with SlackStandIn() as slack:
                results.append(exactly_once(args, slack, work))
        rows: list[Row] = []
        for name in (n for n in names if n in SCENARIOS):
            started = time.perf_counter()
            rows.append(run_scenario(name, args, work))
            print(f"   {name}: {'ok' if rows[-1].passed else 'FAIL'} ({time.perf_counter() - started:.0f} s)",
                  file=sys.stderr, flush=True)
        if rows:
            print(f"3. delivery scenarios (FAIL on a duplicated, missing or out-of-order message, or seconds ≥ "
                  f"{LIMIT:g}):")
            print_table(rows)
            results += [row.passed for row in rows]
    finally:
        logging.shutdown()
        ok = all(results) and bool(results)
        if ok and not args.keep_logs:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"logs: {work}", file=sys.stderr)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
