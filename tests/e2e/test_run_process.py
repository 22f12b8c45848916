"""`bouncecheck run` as a real process (HTTP mode under uvicorn) against a real Dovecot over IMAPS, the
loopback DNS server and the Slack stand-in, configured by a file and the environment only.

flood → one alert card → more bounces → a follow-up in its thread → a signed /bouncecheck answered via
response_url → a signed Acknowledge click updates the card → SIGKILL while bounces arrive, restart →
no second card, no bounce lost or counted twice → quiet → resolved, broadcast from the thread.

The in-process version of this story is tests/slack/test_end_to_end.py; this one proves the parts only
the real process has: the CLI and config file, secrets from the environment, uvicorn, the scheduler's
real intervals, and state that survives a crash.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.models import IncidentState
from bot.slack import blocks
from bot.slack.text_render import render_text
from tests import mailgen
from tests.conftest import free_port
from tests.e2e.conftest import IMAP_PASSWORD_ENV, BotProcess, write_bot_config
from tests.e2e.helpers import (
    BOT_TOKEN,
    DOMAIN,
    FLOOD,
    NotingDelay,
    deliver,
    in_thread,
    scan_once_json,
    scans_done,
    top_level,
    wait_until,
)
from tests.servers.dns import DNSServer
from tests.servers.dovecot import Dovecot
from tests.servers.slack_api import Call, SlackStandIn
from tests.slack.conftest import CHANNEL, SECRET, Endpoint
from tests.slack.helpers import thread

pytestmark = [pytest.mark.dovecot, pytest.mark.slow]

ALERT = 6  # [monitor] alert_bounces
GROWTH = 7  # ≥ 1.5 × what the card last said: a follow-up in the thread
BEFORE_KILL = 6  # delivered after its last scan, right before the SIGKILL: unread by the dying bot
WHILE_DOWN = 3  # delivered while no bot runs
TOTAL = FLOOD + GROWTH + BEFORE_KILL + WHILE_DOWN
WINDOW, RESOLVE_AFTER = 20, 2  # seconds: quiet comes WINDOW s after the last bounce, resolution RESOLVE_AFTER later

RESOLVED_COLOUR = blocks.STATE_LOOK[IncidentState.RESOLVED][1]


def write_config(path: Path, *, dovecot: Dovecot, dns: DNSServer, slack: SlackStandIn, db: Path, port: int,
                 window: str = f"{WINDOW}s", alert_bounces: int = ALERT) -> Path:
    return write_bot_config(path, dovecot=dovecot, nameserver=dns.nameserver, slack=slack, db=db, port=port,
                            domain=DOMAIN, window=window, alert_bounces=alert_bounces,
                            resolve_after=f"{RESOLVE_AFTER}s")


@pytest.fixture
def bot(tmp_path: Path, dovecot: Dovecot, dns_server: DNSServer, slack: SlackStandIn) -> Iterator[BotProcess]:
    port = free_port()
    config = write_config(tmp_path / "config.toml", dovecot=dovecot, dns=dns_server, slack=slack,
                          db=tmp_path / "bouncecheck.db", port=port)
    process = BotProcess(
        config=config,
        env={IMAP_PASSWORD_ENV: dovecot.password, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET},
        url=f"http://127.0.0.1:{port}",
        log_path=tmp_path / "bot.log",
    )
    try:
        yield process
    finally:
        process.stop(timeout=10)
        # Shown by pytest only when the test failed (captured output of the teardown).
        print(f"===== bouncecheck run output ({process.starts} starts, exits {process.exit_codes}) =====")
        print(process.log())
        print("===== dovecot log =====")
        print(dovecot.log_text())


# --------------------------------------------------------------------------- helpers


def query(db: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
        return list(conn.execute(sql, args))


def stored_bounces(db: Path) -> int:
    return int(query(db, "SELECT count(*) FROM bounces WHERE domain = ?", DOMAIN)[0][0])


class TimedOut(AssertionError):
    """The symptom of a known bug: the bot is alive but did not do it in time."""


def unsent(db: Path) -> int:
    return int(query(db, "SELECT count(*) FROM outbox WHERE delivered_at IS NULL")[0][0])


def leases(db: Path) -> tuple[int, int]:
    """(folder leases held, outbox rows claimed and not delivered)."""
    folders = query(db, "SELECT count(*) FROM folder_state WHERE lease_owner IS NOT NULL")[0][0]
    posts = query(db, "SELECT count(*) FROM outbox WHERE lease_owner IS NOT NULL AND delivered_at IS NULL")[0][0]
    return int(folders), int(posts)


def kill_between_scans(bot: BotProcess, db: Path, then: Callable[[], None]) -> None:
    """Run `then` and SIGKILL the bot at once, at a moment it holds no lease: just after a scan and its
    evaluation finished and the outbox was sent, well before the next scan (scans start 1 s apart).

    A kill *during* a scan or a Slack post leaves a lease behind that stalls the restarted bot for
    minutes before bot/store/leases.py; the tests below cover it, and it is not what this story is about.
    """
    deadline = time.monotonic() + 15
    _, finished = scans_done(bot)
    while True:
        assert time.monotonic() < deadline, "found no quiet moment between two scans to kill the bot"
        time.sleep(0.005)
        started, now_finished = scans_done(bot)
        if now_finished == finished or started != now_finished:
            continue
        finished, seen_at = now_finished, time.monotonic()
        while unsent(db) and time.monotonic() - seen_at < 0.4:
            time.sleep(0.005)
        if time.monotonic() - seen_at < 0.4 and scans_done(bot)[0] == finished and leases(db) == (0, 0):
            then()
            bot.kill()
            break
    assert leases(db) == (0, 0), "the kill landed during a scan or a post after all (see the tests below)"


def card_text(slack: SlackStandIn) -> str:
    return render_text(slack.messages[CHANNEL][0])


def outbox_key(call: Call) -> str:
    metadata = call.body.get("metadata") or {}
    return str((metadata.get("event_payload") or {}).get("key", ""))


def button_value(slack: SlackStandIn, action_id: str) -> str:
    message = slack.messages[CHANNEL][0]
    return next(
        str(element["value"])
        for block in [*(message.get("blocks") or []), *(a for att in message.get("attachments") or []
                                                          for a in att.get("blocks", []))]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == action_id
    )


# --------------------------------------------------------------------------- the story


def test_run_process_flood_to_resolution_across_a_crash(
    bot: BotProcess, dovecot: Dovecot, dns_server: DNSServer, slack: SlackStandIn, tmp_path: Path
) -> None:
    db = tmp_path / "bouncecheck.db"
    app = Endpoint(url=bot.url, slack=slack)
    bot.start()

    # 1. A flood arrives → exactly one alert card in the channel, its thread says the incident opened.
    deliver(dovecot, FLOOD, "flood")
    wait_until("the alert card", lambda: top_level(slack), bot, timeout=20)
    card = top_level(slack)[0]
    card_ts = slack.messages[CHANNEL][0]["ts"]
    assert card.body["channel"] == CHANNEL
    assert f"Bounce flood on {DOMAIN}" in card_text(slack)
    wait_until("the card to count the whole flood", lambda: f"{FLOOD} (threshold {ALERT})" in card_text(slack),
               bot, timeout=10)
    wait_until("'Incident opened' in the thread", lambda: any("Incident opened" in t for t in thread(app)),
               bot, timeout=10)

    # 2. More bounces → a follow-up in the card's thread.
    deliver(dovecot, GROWTH, "more")
    wait_until("a 'Bounces rose' follow-up", lambda: any("Bounces rose to" in t for t in thread(app)),
               bot, timeout=15)
    assert {c.body["thread_ts"] for c in in_thread(slack)} == {card_ts}

    # 3. A signed /bouncecheck: "Checking …" at once, the answer later through response_url.
    status, ack, elapsed = app.command(DOMAIN)
    assert status == 200, ack
    assert f"Checking {DOMAIN}…" in ack.decode(), ack
    assert elapsed < 3, f"the ack took {elapsed:.2f} s (Slack gives up after 3 s)"
    wait_until("the /bouncecheck answer on response_url",
               lambda: [c for c in slack.of("hook") if c.path == "/hooks/cmd"], bot, timeout=15)
    answer = next(c for c in slack.of("hook") if c.path == "/hooks/cmd").body
    assert answer["response_type"] == "ephemeral"
    answer_text = render_text(answer)
    assert DOMAIN in answer_text
    assert f"on {DOMAIN} is open" in answer_text, answer_text  # the answer links the live incident
    assert blocks.POST_TO_CHANNEL in json.dumps(answer["blocks"])  # "Post to channel" button
    # Unsigned (wrongly signed) requests are refused by the real process too.
    assert app.post(urllib.parse.urlencode({"command": "/bouncecheck", "text": DOMAIN}).encode(),
                    secret="not-the-secret")[0] == 401

    # 4. A signed Acknowledge click → the card is updated in place.
    updates_before = len(slack.of("chat.update"))
    status, body, elapsed = app.click(blocks.ACK, button_value(slack, blocks.ACK))
    assert status == 200, body
    assert elapsed < 3
    wait_until("the card to show the acknowledgement",
               lambda: "Acknowledged by: @U0ALICE" in card_text(slack), bot, timeout=10)
    assert len(slack.of("chat.update")) > updates_before
    assert all(c.body["ts"] == card_ts and c.body["channel"] == CHANNEL for c in slack.of("chat.update"))

    # 5. Bounces keep coming: some land just before the bot dies by SIGKILL (unread), more while it is down.
    kill_between_scans(bot, db, then=lambda: deliver(dovecot, BEFORE_KILL, "crash"))
    assert bot.exit_codes[-1] == -9
    deliver(dovecot, WHILE_DOWN, "down")
    seen_before_restart = stored_bounces(db)
    assert seen_before_restart < TOTAL
    bot.start()

    # 6. After the restart every bounce is stored exactly once, and the incident carries on: no second card.
    wait_until(f"{TOTAL} bounces in the store", lambda: stored_bounces(db) >= TOTAL, bot, timeout=20)
    wait_until("the card to count every bounce", lambda: f"{TOTAL} (threshold {ALERT})" in card_text(slack),
               bot, timeout=10)

    # 7. Quiet: once the bounces leave the window and resolve_after passes, the incident resolves by itself.
    def resolution() -> list[Call]:
        return [c for c in in_thread(slack) if c.body.get("reply_broadcast") in (True, "1", "true")]

    wait_until("the resolution in the thread", resolution, bot, timeout=WINDOW + RESOLVE_AFTER + 15)
    wait_until("the card to turn resolved",
               lambda: slack.messages[CHANNEL][0]["attachments"][0]["color"] == RESOLVED_COLOUR, bot, timeout=10)
    assert "Resolved" in card_text(slack)
    (resolved,) = resolution()
    assert resolved.body["thread_ts"] == card_ts
    assert "Resolved" in str(resolved.body["text"])

    # A clean stop after all that.
    assert bot.stop() == 0, bot.log()[-4000:]

    # --- Slack saw one card, one thread, and nothing twice.
    assert len(top_level(slack)) == 1, [c.body.get("text") for c in top_level(slack)]
    assert len(slack.messages[CHANNEL]) == 1 + len(in_thread(slack))
    assert {c.body["thread_ts"] for c in in_thread(slack)} == {card_ts}
    assert sum("Incident opened" in t for t in thread(app)) == 1
    keys = [outbox_key(c) for c in slack.of("chat.postMessage")]
    assert all(keys) and len(keys) == len(set(keys)), keys
    assert len(slack.of("files.completeUploadExternal")) == 2  # the chart at opening and at resolution
    assert not [c for c in slack.calls if c.status != 200], "the stand-in never failed on purpose here"

    # --- The store: every bounce once, one incident, resolved by the monitor (not a person), one card.
    assert stored_bounces(db) == TOTAL
    assert query(db, "SELECT count(*) FROM messages")[0][0] == TOTAL
    assert query(db, "SELECT count(DISTINCT recipient) FROM bounces")[0][0] == TOTAL
    incidents = query(db, "SELECT domain, state, resolved_by, acknowledged_by, peak, ts FROM incidents "
                          "JOIN slack_messages ON slack_messages.incident_id = incidents.id AND role = 'card'")
    assert len(incidents) == 1, incidents
    domain, state, resolved_by, acknowledged_by, peak, slack_ts = incidents[0]
    assert (domain, state, resolved_by, acknowledged_by, slack_ts) == (DOMAIN, "resolved", None, "U0ALICE", card_ts)
    assert peak == TOTAL
    assert query(db, "SELECT count(*) FROM outbox WHERE delivered_at IS NULL")[0][0] == 0
    assert query(db, "SELECT count(*) FROM outbox WHERE action = 'post_card'")[0][0] == 1

    # --- `scan --once --json` on the same store and mailbox (window wide enough to see the whole test, a
    # threshold nothing reaches): nothing left unread, nothing read twice, every bounce counted.
    audit = write_config(tmp_path / "audit.toml", dovecot=dovecot, dns=dns_server, slack=slack, db=db,
                         port=free_port(), window="1h", alert_bounces=1_000_000)
    summary = scan_once_json(audit, {IMAP_PASSWORD_ENV: dovecot.password})
    assert summary["mailboxes"] == [
        {"name": "postmaster", "folder": "INBOX", "new_messages": 0, "bounces": 0, "errors": []}
    ]
    assert summary["domains"] == [{"domain": DOMAIN, "bounces_in_window": TOTAL, "threshold": 1_000_000,
                                   "delayed_in_window": 0}]
    assert summary["incidents"] == []

    assert "Traceback" not in bot.log(), bot.log()[-6000:]


# --------------------------------------------------------------------------- a kill inside a lease
#
# Both leases are owned by "<host>:<pid>"; the restarted bot sees that pid is gone and frees what its dead
# predecessor held (bot/store/leases.py) instead of waiting the lease out (5 min for a folder, 2 for a post).


def test_restart_after_kill_mid_scan_rescans_promptly(bot: BotProcess, dovecot: Dovecot, tmp_path: Path) -> None:
    db = tmp_path / "bouncecheck.db"
    bot.start()
    wait_until("a first scan", lambda: scans_done(bot)[1], bot, timeout=10)
    count = 150
    for n in range(count):  # about 6 MB: a scan that takes long enough to be caught in the middle
        dovecot.deliver(mailgen.dsn(recipient=f"big{n}@remote.example.org", sender=f"news@{DOMAIN}", padding=40_000))
    deadline = time.monotonic() + 10
    while not leases(db)[0]:
        assert time.monotonic() < deadline, "never saw a scan in progress"
        time.sleep(0.002)
    bot.kill()
    assert leases(db)[0] == 1 and stored_bounces(db) < count, "the kill was meant to land mid-scan"
    bot.start()
    # Scans run every second: ten seconds is plenty to read what is left.
    wait_until(f"all {count} bounces after the restart", lambda: stored_bounces(db) == count, bot, timeout=10,
               error=TimedOut)


def test_restart_after_kill_mid_post_delivers_promptly(bot: BotProcess, dovecot: Dovecot, slack: SlackStandIn,
                                                       tmp_path: Path) -> None:
    db = tmp_path / "bouncecheck.db"
    slack.delay = delay = NotingDelay({"chat.postMessage": 1.0})  # Slack is slow to answer the card post
    bot.start()
    deliver(dovecot, FLOOD, "flood")
    deadline = time.monotonic() + 15
    while "chat.postMessage" not in delay.arrived:
        assert time.monotonic() < deadline, "the card post never reached the stand-in"
        time.sleep(0.002)
    bot.kill()
    assert leases(db)[1] == 1, "the kill was meant to land while the card post was in flight"
    slack.delay.clear()
    # Slack took the card although the bot never heard back: the restarted bot must find it, not post it again.
    slack.wait_for(lambda: top_level(slack), timeout=5)
    bot.start()
    wait_until("'Incident opened' in the thread after the restart",
               lambda: any("Incident opened" in t for t in thread(Endpoint(url=bot.url, slack=slack))), bot,
               timeout=10, error=TimedOut)
    assert len(top_level(slack)) == 1
