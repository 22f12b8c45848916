"""End to end: Dovecot + the loopback DNS server + the Slack stand-in → alert card → thread follow-up →
button → card updated → resolution broadcast. The bot is built as `bouncecheck run` builds it."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import settings_from_mapping
from bot.runner import Bot, start_bot
from bot.slack import blocks, modals
from bot.slack.text_render import render_text
from bot.slack.wsgi import make_wsgi
from tests import mailgen
from tests.servers.dns import LISTED_IP, SPF_DOMAIN, DNSServer, dns_server
from tests.servers.dovecot import Dovecot, dovecot
from tests.servers.slack_api import SlackStandIn
from tests.slack.conftest import CHANNEL, SECRET, Endpoint, serve
from tests.slack.helpers import thread

__all__ = ["dns_server", "dovecot"]

pytestmark = [pytest.mark.dovecot, pytest.mark.slow]
FLOOD = 25


@pytest.fixture
def bot(dovecot: Dovecot, dns_server: DNSServer, slack: SlackStandIn, tmp_path: Path) -> Iterator[Bot]:
    settings = settings_from_mapping(
        {
            "storage": {"url": f"sqlite:///{tmp_path / 'bot.db'}"},
            "mailboxes": [
                {
                    "name": "postmaster",
                    "host": "127.0.0.1",
                    "port": dovecot.imaps_port,
                    "ca_file": dovecot.ca_file,
                    "username": dovecot.user,
                    "password_env": "TEST_IMAP_PW",
                }
            ],
            "schedule": {"scan_interval": "1s", "recheck_interval": "1h", "reputation_interval": "1h"},
            "monitor": {
                "domains": [SPF_DOMAIN],
                "sending_ips": [LISTED_IP],
                "alert_bounces": 20,
                "followup_floor": "1s",
            },
            "dns": {"nameservers": [dns_server.nameserver], "timeout": "1s"},
            "slack": {"mode": "http", "channel": CHANNEL, "api_url": slack.api_url},
        },
        "end-to-end",
    )
    env = {"TEST_IMAP_PW": dovecot.password, "SLACK_BOT_TOKEN": "xoxb-e2e", "SLACK_SIGNING_SECRET": SECRET}
    running = start_bot(settings, env, http=True)
    yield running
    running.stop()


def test_flood_to_resolution(bot: Bot, dovecot: Dovecot, slack: SlackStandIn) -> None:
    assert bot.app is not None and bot.healthy()
    url, stop = serve(make_wsgi(bot.app, bot.healthy))
    app = Endpoint(url=url, slack=slack)
    try:
        for n in range(FLOOD):
            dovecot.deliver(mailgen.dsn(recipient=f"gone{n}@remote{n % 3}.example.org", sender=f"news@{SPF_DOMAIN}"))
        slack.wait_for(lambda: any(not c.body.get("thread_ts") for c in slack.of("chat.postMessage")), timeout=30)
        # Our configured IP is listed: the first check may open the incident as a listing, before any
        # bounce is read; the flood then turns the same card into a bounce flood, in place.
        first = next(c for c in slack.of("chat.postMessage") if not c.body.get("thread_ts"))
        assert (f"Bounce flood on {SPF_DOMAIN}" in render_text(first.body)) is ("listed on" not in first.body["text"])
        slack.wait_for(lambda: f"Bounce flood on {SPF_DOMAIN}" in render_text(slack.messages[CHANNEL][0]), timeout=10)
        # a scan may catch the flood half-delivered: the card then follows the count in place
        slack.wait_for(lambda: f"{FLOOD} (threshold 20)" in render_text(slack.messages[CHANNEL][0]), timeout=10)
        slack.wait_for(lambda: any("Incident opened" in t for t in thread(app)), timeout=10)
        slack.wait_for(lambda: slack.of("files.completeUploadExternal"), timeout=10)

        for n in range(20):  # the count grows markedly: a follow-up in the thread
            dovecot.deliver(mailgen.dsn(recipient=f"more{n}@remote.example.org", sender=f"news@{SPF_DOMAIN}"))
        slack.wait_for(lambda: any("Bounces rose to" in t for t in thread(app)), timeout=30)

        incident_id = next(
            e["value"]
            for b in slack.messages[CHANNEL][0]["attachments"][0]["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
            if e["action_id"] == blocks.ACK
        )
        assert app.click(blocks.ACK, incident_id)[0] == 200
        slack.wait_for(lambda: "Acknowledged by: @U0ALICE" in render_text(slack.messages[CHANNEL][0]), timeout=10)
        assert slack.of("chat.update")

        assert app.click(blocks.RESOLVE, incident_id, user="U0BOB")[0] == 200  # opens the Resolve dialog
        slack.wait_for(lambda: slack.of("views.open"), timeout=10)
        chosen = {modals.OUTCOME_BLOCK: {modals.OUTCOME_ACTION: {"selected_option": {"value": "confirmed"}}}}
        submission = {"type": "view_submission", "user": {"id": "U0BOB"}, "team": {"id": "T0001"}, "api_app_id": "A1",
                      "view": {**slack.of("views.open")[0].body["view"], "state": {"values": chosen}}}
        assert app.post(urllib.parse.urlencode({"payload": json.dumps(submission)}).encode())[:2] == (200, b"")
        slack.wait_for(
            lambda: any(c.body.get("reply_broadcast") in (True, "1", "true") for c in slack.of("chat.postMessage")),
            timeout=10,
        )
        slack.wait_for(lambda: slack.messages[CHANNEL][0]["attachments"][0]["color"] == "#2A9D8F", timeout=10)
        assert "Resolved by @U0BOB" in render_text(slack.messages[CHANNEL][0])
        assert len([c for c in slack.of("chat.postMessage") if not c.body.get("thread_ts")]) == 1
    finally:
        stop()
