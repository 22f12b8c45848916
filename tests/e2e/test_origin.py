"""Backscatter with the default config: the real `bouncecheck scan --once --json` process, a Maildir and the
loopback DNS server, with `[monitor] sending_ips` left empty as config.example.toml ships it.

The bot must learn victim.example's servers from its SPF and MX before it judges a bounce, so each
scripted flood gets the same cause with `sending_ips` empty as with it filled in; a bounce it cannot
place stays of unknown origin and is never counted as ours; a resolver that cannot tell our servers
makes the forged flood unknown, not a bad list.
"""

from __future__ import annotations

import json
import mailbox
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.models import Cause
from bot.slack.text_render import render_text
from tests.conftest import free_port
from tests.e2e.conftest import IMAP_PASSWORD_ENV, ROOT, BotProcess, write_bot_config
from tests.e2e.helpers import in_thread, top_level, wait_until
from tests.floods import FLOODS, OUR_IP, VICTIM, backscatter, bad_list, headerless, publish_victim
from tests.servers.dns import Behaviour, DNSServer
from tests.servers.dovecot import Dovecot
from tests.servers.slack_api import SlackStandIn
from tests.slack.conftest import CHANNEL, SECRET

FLOOD = 60
ALERT = 20


def write_config(tmp_path: Path, dns: DNSServer, *, sending_ips: list[str]) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(f"""\
[storage]
url = "sqlite:///{tmp_path / 'bouncecheck.db'}"

[[mailboxes]]
name = "postmaster"
path = "{tmp_path / 'Maildir'}"

[monitor]
domains = ["{VICTIM}"]
sending_ips = {json.dumps(sending_ips)}
window = "1h"
alert_bounces = {ALERT}
baseline_days = 0

[dns]
nameservers = ["{dns.nameserver}"]
timeout = "1s"
""")
    return config


def fill(tmp_path: Path, messages: list[bytes]) -> None:
    box = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    for message in messages:
        box.add(message)


def run(*args: str, config: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BOUNCECHECK_"))}
    return subprocess.run([sys.executable, "-m", "bot", *args, "--config", str(config)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


def scan_once(config: Path) -> dict[str, Any]:
    done = run("scan", "--once", "--json", config=config)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("sending_ips", [[], [OUR_IP]], ids=["learned", "configured"])
@pytest.mark.parametrize("cause", list(FLOODS), ids=[str(c) for c in FLOODS])
def test_each_flood_gets_its_cause_with_or_without_sending_ips(
    tmp_path: Path, dns_server: DNSServer, cause: Cause, sending_ips: list[str]
) -> None:
    publish_victim(dns_server.world)
    fill(tmp_path, FLOODS[cause](FLOOD))
    summary = scan_once(write_config(tmp_path, dns_server, sending_ips=sending_ips))
    [incident] = summary["incidents"]
    assert (incident["domain"], incident["kind"], incident["cause"]) == (VICTIM, "flood", str(cause))
    assert incident["bounces_in_window"] == FLOOD


def test_servers_are_learned_once_and_shown_by_check(tmp_path: Path, dns_server: DNSServer) -> None:
    publish_victim(dns_server.world)
    fill(tmp_path, bad_list(3))
    config = write_config(tmp_path, dns_server, sending_ips=[])
    scan_once(config)
    asked_spf = dns_server.world.queries.count((VICTIM, "TXT"))
    scan_once(config)
    assert dns_server.world.queries.count((VICTIM, "TXT")) == asked_spf, "a second scan learned them again"

    done = run("check", "--json", VICTIM, config=config)
    assert done.returncode == 0, done.stderr
    servers = {(s["kind"], s["value"]): s["sources"] for s in json.loads(done.stdout)["servers"]}
    assert servers[("ip", OUR_IP)] == ["spf"]
    assert servers[("host", "mx.victim.example")] == ["spf", "mx"]  # SPF's `mx` term, and the MX itself
    assert servers[("ip", "192.0.2.20")] == ["spf", "mx"]
    # Learned from our own mail while scanning: the host its Message-IDs carry.
    assert servers[("message_id_host", VICTIM)] == ["bounces"]
    text = run("check", VICTIM, config=config).stdout
    assert "our servers (mail that left through none of them is forged):" in text
    assert f"  ip               {OUR_IP:<40} spf" in text


def test_a_resolver_that_cannot_tell_our_servers_gives_unknown_not_a_bad_list(
    tmp_path: Path, dns_server: DNSServer
) -> None:
    publish_victim(dns_server.world)
    dns_server.world.rule(VICTIM, Behaviour.SERVFAIL)
    fill(tmp_path, backscatter(FLOOD))
    done = run("scan", "--once", "--json", config=write_config(tmp_path, dns_server, sending_ips=[]))
    assert done.returncode == 0, done.stderr
    [incident] = json.loads(done.stdout)["incidents"]
    assert incident["cause"] == "unknown_origin"
    assert "could not learn our servers: SPF of victim.example" in done.stderr


def test_bounces_without_the_original_count_as_unknown(tmp_path: Path, dns_server: DNSServer) -> None:
    publish_victim(dns_server.world)
    fill(tmp_path, [*bad_list(30), *headerless(25)])
    config = write_config(tmp_path, dns_server, sending_ips=[])
    summary = scan_once(config)
    [incident] = summary["incidents"]
    assert (incident["cause"], incident["bounces_in_window"]) == ("bad_recipients", 55)
    db = tmp_path / "bouncecheck.db"
    import sqlite3

    with sqlite3.connect(db) as conn:
        placed = dict(conn.execute("SELECT coalesce(origin_basis, '?'), count(*) FROM bounces GROUP BY 1"))
        diagnosis = json.loads(conn.execute("SELECT diagnosis FROM incidents").fetchone()[0])
    assert placed == {"sending_ip": 30, "no_original": 25}
    assert ("25 of the 55 bounces are of unknown origin (25 quote none of the original's headers): counted as "
            "neither ours nor forged.") in diagnosis["evidence"]


# --------------------------------------------------------------------------- the real bot, in Slack


@pytest.mark.dovecot
@pytest.mark.slow
def test_a_listing_then_a_forged_flood_then_bounces_without_originals(
    tmp_path: Path, dovecot: Dovecot, dns_server: DNSServer, slack: SlackStandIn
) -> None:
    publish_victim(dns_server.world)
    dns_server.world.list_ip(OUR_IP, "zen.spamhaus.org", "127.0.0.2", txt="https://check.spamhaus.org/sbl/q/1")
    port = free_port()
    config = write_bot_config(tmp_path / "run.toml", dovecot=dovecot, nameserver=dns_server.nameserver, slack=slack,
                              db=tmp_path / "bouncecheck.db", port=port, domain=VICTIM, window="1h",
                              alert_bounces=ALERT)
    bot = BotProcess(config=config,
                     env={IMAP_PASSWORD_ENV: dovecot.password, "SLACK_BOT_TOKEN": "xoxb-e2e",
                          "SLACK_SIGNING_SECRET": SECRET},
                     url=f"http://127.0.0.1:{port}", log_path=tmp_path / "bot.log")

    def card() -> str:  # one line, without the attachment's colour bar
        lines = render_text(slack.messages[CHANNEL][0]).splitlines()
        return " ".join(" ".join(line.split(" ", 1)[-1] for line in lines).split())

    def said(text: str) -> bool:
        return any(text in " ".join(render_text(c.body).split()) for c in in_thread(slack))

    try:
        bot.start()
        # 1. Our SPF address is listed and no bounce has come: a listing, never a "bounce flood".
        wait_until("the listing card", lambda: top_level(slack), bot, timeout=20)
        wait_until("the opening line", lambda: said("Incident opened"), bot, timeout=10)
        assert f"{VICTIM} listed on zen.spamhaus.org" in card()
        assert "Bounces in window: 0 (threshold 20): no bounce flood" in card()
        assert "flood on" not in card().lower() and "bounce flood on" not in top_level(slack)[0].body["text"].lower()
        assert said(f"⛔ Incident opened: {VICTIM} listed on zen.spamhaus.org. 0 bounces in the window "
                    "(threshold 20): no bounce flood.")

        # 2. Then a flood of bounces of mail forged in our name: backscatter first, the listing as an also.
        for message in backscatter(FLOOD):
            dovecot.deliver(message)
        wait_until("the flood in the thread", lambda: said("Now a bounce flood"), bot, timeout=30)
        wait_until("the card to count the whole flood", lambda: f"Bounces in window: {FLOOD} (threshold" in card(),
                   bot, timeout=15)
        assert said("Likely cause: backscatter (was blacklisted)")
        assert f"Bounce flood on {VICTIM}" in card()
        assert "Likely cause: Backscatter: bounces of mail forged in our name" in card()
        assert f"is not in {VICTIM}'s SPF" in card()
        assert card().count("192.0.2.10 is listed on Spamhaus ZEN") == 1
        assert "Also blacklisted: 192.0.2.10 is listed on Spamhaus ZEN" in card()
        assert "do not retry or clean lists" in card()

        # 3. Bounces that quote no original: counted, said to be of unknown origin, never as ours.
        for message in headerless(25):
            dovecot.deliver(message)
        wait_until("the card to say what it could not place",
                   lambda: f"25 of the {FLOOD + 25} bounces are of unknown origin (25 quote none of the "
                           "original's headers)" in card(), bot, timeout=30)
        assert len(top_level(slack)) == 1
    finally:
        bot.stop(timeout=10)
        print(bot.log())
