"""Events over signed HTTP: mentions in an incident thread, the App Home tab; plus /healthz."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from bot.models import IncidentState, KnownServer, ServerKind, ServerSource
from bot.slack.queries import load_incident
from bot.slack.text_render import render_view
from bot.slack.wsgi import make_wsgi
from bot.store.schema import folder_state, outbox
from bot.store.servers_store import save_learned
from tests.servers.slack_api import WORKSPACE_URL
from tests.slack.conftest import CHANNEL, SlackApp, build, serve
from tests.slack.helpers import posted_card, thread


def mention(app: SlackApp, text: str, *, thread_ts: str | None, user: str = "U0ALICE") -> None:
    event = {
        "type": "app_mention",
        "user": user,
        "text": f"<@UBOT00001> {text}",
        "ts": "1800000000.000900",
        "channel": CHANNEL,
        "event_ts": "1800000000.000900",
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    status, _, _ = app.event(event)
    assert status == 200


def card_ts(app: SlackApp) -> str:
    return str(app.slack.messages[CHANNEL][0]["ts"])


def test_status_in_thread(slack_app: SlackApp) -> None:
    posted_card(slack_app)
    mention(slack_app, "status", thread_ts=card_ts(slack_app))
    slack_app.slack.wait_for(lambda: thread(slack_app))
    assert "bounce flood on example.com: 120 bounces" in thread(slack_app)[0]


def test_resolve_in_thread(slack_app: SlackApp) -> None:
    incident = posted_card(slack_app)
    mention(slack_app, "resolve please", thread_ts=card_ts(slack_app))
    slack_app.slack.wait_for(lambda: thread(slack_app))
    assert "Resolved by <@U0ALICE>" in thread(slack_app)[0]
    stored = load_incident(slack_app.engine, incident.id)
    assert stored is not None and stored.state is IncidentState.RESOLVED


def test_recheck_in_thread(slack_app: SlackApp) -> None:
    posted_card(slack_app)
    mention(slack_app, "recheck", thread_ts=card_ts(slack_app))
    slack_app.slack.wait_for(lambda: thread(slack_app))
    assert slack_app.checker.calls and "Recheck: ⛔ example.com is listed" in thread(slack_app)[0]


def test_mention_outside_an_incident_thread_explains(slack_app: SlackApp) -> None:
    mention(slack_app, "status", thread_ts=None)
    slack_app.slack.wait_for(lambda: slack_app.slack.of("chat.postMessage"))
    reply = slack_app.slack.of("chat.postMessage")[0].body
    assert "not an incident thread" in str(reply["text"]) and reply["thread_ts"] == "1800000000.000900"


def test_app_home_lists_domains_incidents_and_mailboxes(slack_app: SlackApp, engine: Engine) -> None:
    incident = posted_card(slack_app)
    with engine.begin() as conn:
        conn.execute(
            folder_state.insert().values(
                mailbox="postmaster",
                folder="INBOX",
                last_uid=10,
                last_scan_at=slack_app.clock() - timedelta(minutes=2),
                last_error="LOGIN failed <!channel>",
                last_error_at=slack_app.clock() - timedelta(minutes=1),
            )
        )
        save_learned(conn, "example.com", [
            KnownServer(kind=ServerKind.IP, value="192.0.2.10", source=ServerSource.SPF),
            KnownServer(kind=ServerKind.HOST, value="mx1.example.com", source=ServerSource.SPF),
            KnownServer(kind=ServerKind.HOST, value="mx1.example.com", source=ServerSource.MX),
        ], [ServerSource.SPF, ServerSource.MX], slack_app.clock())
    status, _, _ = slack_app.event(
        {
            "type": "app_home_opened",
            "user": "U0ALICE",
            "channel": "D0001",
            "tab": "home",
            "event_ts": "1800000000.000100",
        }
    )
    assert status == 200
    slack_app.slack.wait_for(lambda: slack_app.slack.of("views.publish"))
    call = slack_app.slack.of("views.publish")[0].body
    assert call["user_id"] == "U0ALICE"
    text = render_view(call["view"], width=300)
    assert f"example.com: open incident #{incident.id}" in text and f"open card ({WORKSPACE_URL}/archives/" in text
    assert "postmaster / INBOX: last scan" in text and "LOGIN failed <!channel>" in text
    assert "Our servers: 192.0.2.10 (spf) · mx1.example.com (mx, spf)" in text
    assert "&lt;!channel&gt;" in str(call["view"])
    assert "Slack delivery" not in text, "nothing to say while every post went out"


def test_app_home_names_a_dead_letter_and_what_to_run(slack_app: SlackApp, engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(outbox.insert().values(dedupe_key="k", action="post_message", channel="C0GONE", payload={},
                                            created_at=slack_app.clock(), next_attempt_at=slack_app.clock(),
                                            attempts=1, last_error="permanent: channel_not_found",
                                            dead_at=slack_app.clock()))
    slack_app.event({"type": "app_home_opened", "user": "U0ALICE", "channel": "D0001", "tab": "home",
                     "event_ts": "1800000000.000100"})
    slack_app.slack.wait_for(lambda: slack_app.slack.of("views.publish"))
    text = render_view(slack_app.slack.of("views.publish")[0].body["view"], width=300)
    assert "Slack delivery" in text and "1 message(s) Slack refused are kept as dead letters" in text
    assert "channel_not_found" in text and "bouncecheck outbox retry" in text


def test_healthz(slack_app: SlackApp) -> None:
    with urllib.request.urlopen(slack_app.url + "/healthz", timeout=5) as response:
        assert response.status == 200
    _, app = build(slack_app.services.settings, slack_app.engine, slack_app.slack, slack_app.clock)
    url, stop = serve(make_wsgi(app, lambda: False))
    try:
        with pytest.raises(urllib.error.HTTPError) as failed:
            urllib.request.urlopen(url + "/healthz", timeout=5)
        assert failed.value.code == 503
        failed.value.close()
    finally:
        stop()
