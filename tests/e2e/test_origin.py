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
from tests.e2e.conftest import ROOT
from tests.floods import FLOODS, OUR_IP, VICTIM, backscatter, bad_list, headerless, publish_victim
from tests.servers.dns import Behaviour, DNSServer

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
