"""On-call end to end, the bot built as `bouncecheck run` builds it: a Maildir scanned, the loopback DNS
server, the Slack stand-in. Two domains on two routes; a silence set and lifted by slash command."""

from __future__ import annotations

import mailbox
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import settings_from_mapping
from bot.runner import Bot, start_bot
from bot.slack.text_render import render_text
from bot.slack.wsgi import make_wsgi
from tests import mailgen
from tests.servers.dns import SPF_DOMAIN, DNSServer, dns_server
from tests.servers.slack_api import SlackStandIn
from tests.slack.conftest import CHANNEL, SECRET, Endpoint, serve

__all__ = ["dns_server"]

pytestmark = [pytest.mark.slow]
SHOP, SHOP_CHANNEL, FLOOD = "shop.example", "C0SHOP", 25


@pytest.fixture
def maildir(tmp_path: Path) -> mailbox.Maildir:
    return mailbox.Maildir(str(tmp_path / "Maildir"), create=True)


@pytest.fixture
def bot(maildir: mailbox.Maildir, dns_server: DNSServer, slack: SlackStandIn, tmp_path: Path) -> Iterator[Bot]:
    settings = settings_from_mapping({
        "storage": {"url": f"sqlite:///{tmp_path / 'bot.db'}"},
        "mailboxes": [{"name": "postmaster", "path": maildir._path}],  # type: ignore[attr-defined]
        "schedule": {"scan_interval": "1s", "oncall_interval": "1s", "recheck_interval": "1h",
                     "reputation_interval": "1h"},
        "monitor": {"domains": [SPF_DOMAIN, SHOP], "alert_bounces": 20},
        "dns": {"nameservers": [dns_server.nameserver], "timeout": "1s"},
        "slack": {"mode": "http", "channel": CHANNEL, "api_url": slack.api_url},
        "routes": [{"domains": [SHOP], "channel": SHOP_CHANNEL}],
    }, "on-call end-to-end")
    running = start_bot(settings, {"SLACK_BOT_TOKEN": "xoxb-e2e", "SLACK_SIGNING_SECRET": SECRET}, http=True)
    yield running
    running.stop()


def cards(slack: SlackStandIn, channel: str) -> list[str]:
    return [render_text(m) for m in slack.messages.get(channel, []) if "thread_ts" not in m]


def test_routes_and_a_silence_lifted_by_slash_command(bot: Bot, maildir: mailbox.Maildir,
                                                      slack: SlackStandIn) -> None:
    assert bot.app is not None
    url, stop = serve(make_wsgi(bot.app, bot.healthy))
    app = Endpoint(url=url, slack=slack)
    try:
        assert app.command(f"silence {SHOP} 1h testing the route")[0] == 200
        for n in range(FLOOD):
            maildir.add(mailgen.dsn(recipient=f"gone{n}@remote{n % 3}.example.org", sender=f"news@{SPF_DOMAIN}"))
            maildir.add(mailgen.dsn(recipient=f"gone{n}@far{n % 3}.example.org", sender=f"news@{SHOP}"))
        slack.wait_for(lambda: any(f"Bounce flood on {SPF_DOMAIN}" in c for c in cards(slack, CHANNEL)), timeout=30)
        time.sleep(3)  # several scans and on-call runs
        assert cards(slack, SHOP_CHANNEL) == [], "silenced: its card waits"
        assert not any(SHOP in c for c in cards(slack, CHANNEL)), "and never lands in the default channel"
        assert app.command(f"unsilence {SHOP}")[0] == 200
        slack.wait_for(lambda: any(f"Bounce flood on {SHOP}" in c for c in cards(slack, SHOP_CHANNEL)), timeout=15)
    finally:
        stop()
