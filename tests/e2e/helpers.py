"""Helpers shared by the end-to-end tests (and bench/_delivery_scenarios.py): the domain and flood size of the
story, delivering bounces to Dovecot, waiting on the running bot, what it posted, `scan --once --json`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests import mailgen
from tests.e2e.conftest import ROOT, BotProcess
from tests.servers.dns import SPF_DOMAIN
from tests.servers.dovecot import Dovecot
from tests.servers.slack_api import Call, SlackStandIn

DOMAIN = SPF_DOMAIN  # example.com: the DNS world gives it SPF (so bounces of its mail are "ours"), MX, DMARC
FLOOD = 8  # opens the incident
BOT_TOKEN = "xoxb-e2e-token"


def deliver(dovecot: Dovecot, count: int, tag: str) -> None:
    for n in range(count):
        dovecot.deliver(mailgen.dsn(recipient=f"{tag}{n}@remote{n % 3}.example.org", sender=f"news@{DOMAIN}"))


def wait_until(what: str, predicate: Callable[[], object], bot: BotProcess, timeout: float,
               error: type[AssertionError] = AssertionError) -> None:
    """Poll `predicate`; fail early if the bot died, with what it said."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert bot.running(), f"bouncecheck run died while waiting for {what}:\n{bot.log()[-6000:]}"
        if time.monotonic() > deadline:
            raise error(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def since_last_start(bot: BotProcess) -> str:
    return bot.log().rsplit("----- start #", 1)[-1]


def scans_done(bot: BotProcess) -> tuple[int, int]:
    """(scan jobs started, scan jobs finished) by the running process, from APScheduler's lines in its log."""
    log = since_last_start(bot)
    return log.count('Running job "scan '), log.count('Job "scan ')


def top_level(slack: SlackStandIn) -> list[Call]:
    return [c for c in slack.of("chat.postMessage") if not c.body.get("thread_ts")]


def in_thread(slack: SlackStandIn) -> list[Call]:
    return [c for c in slack.of("chat.postMessage") if c.body.get("thread_ts")]


def scan_once_json(config: Path, env: dict[str, str]) -> dict[str, Any]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BOUNCECHECK_"))}
    done = subprocess.run([sys.executable, "-m", "bot", "scan", "--once", "--json", "--config", str(config)],
                          cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


class NotingDelay(dict[str, float]):
    """A `SlackStandIn.delay` table that also notes which methods' requests arrived (the stand-in looks each
    request's method up with `.get` before it waits), so a test can tell a post is in flight."""

    def __init__(self, delays: dict[str, float]) -> None:
        super().__init__(delays)
        self.arrived: set[str] = set()

    def get(self, method: str, default: Any = None) -> Any:
        self.arrived.add(method)
        return super().get(method, default)
