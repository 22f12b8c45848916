"""Say only what is known, and the same everywhere: the real `bouncecheck run` process against Dovecot, the
loopback DNS server (or a dead one) and the Slack stand-in, looked at through every surface a user sees.

- 60 failed bounces and 40 delay warnings: the card, `/bouncecheck`, App Home and `scan --once --json`
  show the same count (60) and the same threshold, and the warnings apart.
- The resolver unreachable: no card or thread message calls anything clean, each says unknown and why,
  and /healthz answers 503 naming the failed blacklist check.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from bot.slack.text_render import render_text, render_view
from tests import mailgen
from tests.conftest import free_port
from tests.e2e.conftest import IMAP_PASSWORD_ENV, BotProcess, write_bot_config
from tests.e2e.helpers import in_thread, scan_once_json, top_level, wait_until
from tests.servers.dns import SPF_DOMAIN, DNSServer
from tests.servers.dovecot import Dovecot
from tests.servers.http import health
from tests.servers.slack_api import SlackStandIn
from tests.slack.conftest import CHANNEL, SECRET, Endpoint

pytestmark = [pytest.mark.dovecot, pytest.mark.slow]

DOMAIN = SPF_DOMAIN
ALERT = 20
FAILED, DELAYED = 60, 40


def start(tmp_path: Path, dovecot: Dovecot, slack: SlackStandIn, nameserver: str) -> tuple[BotProcess, Path]:
    port = free_port()
    config = write_bot_config(tmp_path / "config.toml", dovecot=dovecot, nameserver=nameserver, slack=slack,
                              db=tmp_path / "bouncecheck.db", port=port, domain=DOMAIN, window="1h",
                              alert_bounces=ALERT)
    bot = BotProcess(config=config, env={IMAP_PASSWORD_ENV: dovecot.password, "SLACK_BOT_TOKEN": "xoxb-e2e",
                                         "SLACK_SIGNING_SECRET": SECRET},
                     url=f"http://127.0.0.1:{port}", log_path=tmp_path / "bot.log")
    bot.start()
    return bot, config


def flat(message: dict[str, Any]) -> str:
    """A rendered message on one line, without the attachment's colour bar."""
    lines = render_text(message).splitlines()
    return " ".join(" ".join(line.split(" ", 1)[-1] if line.startswith(("🔴", "🟠", "⚪", "🟢")) else line
                             for line in lines).split())


def card_of(slack: SlackStandIn) -> str:
    """The incident card as it stands now ("" before it is posted); ops notices are top-level posts too."""
    return next((text for m in slack.messages.get(CHANNEL, []) if "Incident #" in (text := flat(m))), "")


def test_one_count_and_one_threshold_on_every_surface(
    tmp_path: Path, dovecot: Dovecot, dns_server: DNSServer, slack: SlackStandIn
) -> None:
    for n in range(FAILED):
        dovecot.deliver(mailgen.dsn(recipient=f"f{n}@r{n % 5}.example.org", sender=f"news@{DOMAIN}"))
    for n in range(DELAYED):
        dovecot.deliver(mailgen.dsn(recipient=f"d{n}@r{n % 5}.example.org", sender=f"news@{DOMAIN}",
                                    status="4.4.1", action="delayed",
                                    diagnostic="smtp; 451 4.4.1 Connection timed out"))
    bot, config = start(tmp_path, dovecot, slack, dns_server.nameserver)
    app = Endpoint(url=bot.url, slack=slack)
    try:
        wait_until("the card to count every failed bounce",
                   lambda: f"Bounces in window: {FAILED} (threshold {ALERT})" in card_of(slack), bot, timeout=30)
        card = card_of(slack)

        status, _, _ = app.command(DOMAIN)
        assert status == 200
        wait_until("the /bouncecheck answer", lambda: [c for c in slack.of("hook") if c.path == "/hooks/cmd"],
                   bot, timeout=15)
        answer = flat(next(c for c in slack.of("hook") if c.path == "/hooks/cmd").body)

        assert app.event({"type": "app_home_opened", "user": "U0ALICE", "channel": "D1", "tab": "home",
                          "event_ts": f"{time.time():.6f}"})[0] == 200
        wait_until("App Home", lambda: slack.of("views.publish"), bot, timeout=10)
        home = " ".join(render_view(slack.of("views.publish")[-1].body["view"], width=300).split())

        summary = scan_once_json(config, {IMAP_PASSWORD_ENV: dovecot.password})
    finally:
        bot.stop(timeout=10)
        print(bot.log())

    print("CARD:", card, "\nANSWER:", answer, "\nHOME:", home, "\nSCAN:", json.dumps(summary["domains"]))
    assert f"Bounces in window: {FAILED} (threshold {ALERT})" in card
    assert f"{FAILED} in the last 1h (threshold {ALERT}), {FAILED} in 24h; {DELAYED} delay warnings not counted" \
        in answer
    assert f"{FAILED} bounces in the last 1h (threshold {ALERT}): above threshold, {DELAYED} delay warnings not " \
           "counted" in home
    assert summary["domains"] == [{"domain": DOMAIN, "bounces_in_window": FAILED, "threshold": ALERT,
                                   "delayed_in_window": DELAYED}]


def test_an_unreachable_resolver_is_never_called_clean(
    tmp_path: Path, dovecot: Dovecot, slack: SlackStandIn
) -> None:
    dead = f"127.0.0.1:{free_port()}"  # nothing answers there
    for n in range(ALERT + 5):
        dovecot.deliver(mailgen.dsn(recipient=f"f{n}@r{n % 5}.example.org", sender=f"news@{DOMAIN}"))
    bot, _ = start(tmp_path, dovecot, slack, dead)
    try:
        wait_until("the card", lambda: card_of(slack), bot, timeout=30)
        wait_until("the card to say the blacklist status is unknown",
                   lambda: "❔ Unknown: the check at" in card_of(slack), bot, timeout=30)
        code, body = health(bot.url)
        wait_until("the card's updates to settle", lambda: slack.of("chat.update"), bot, timeout=10)
        said = [flat(c.body) for c in [*top_level(slack), *slack.of("chat.update"), *in_thread(slack)]]
    finally:
        bot.stop(timeout=10)
        print(bot.log())

    card = card_of(slack)
    print("CARD:", card, "\nHEALTH:", code, body)
    assert "could not run: no blacklist could be checked" in card
    assert all("✅" not in text and "None of our IPs" not in text for text in said), said
    assert code == 503 and body["status"] == "degraded"
    assert [p["what"] for p in body["problems"]] == ["blacklist_check"]
    assert body["problems"][0]["detail"].startswith(f"{DOMAIN}: the check at ")
