"""Card buttons and "Post to channel" as real signed HTTP requests: idempotent, race-safe, polite."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import Engine

from bot.models import IncidentState
from bot.slack import blocks, incident_ops
from bot.slack.queries import load_incident
from bot.slack.text_render import render_text
from bot.slack.wsgi import make_wsgi
from tests.servers.slack_api import SlackStandIn
from tests.slack.conftest import (
    CHANNEL,
    Clock,
    FakeChecker,
    SlackApp,
    build,
    make_settings,
    serve,
)
from tests.slack.helpers import notes, posted_card, thread


def card_text(app: SlackApp) -> str:
    return render_text(app.slack.messages[CHANNEL][0])


def test_acknowledge_updates_card_and_thread_then_is_idempotent(slack_app: SlackApp) -> None:
    incident = posted_card(slack_app)
    status, _, elapsed = slack_app.click(blocks.ACK, str(incident.id))
    assert status == 200 and elapsed < 2
    slack_app.slack.wait_for(lambda: thread(slack_app))
    assert "<@U0ALICE> acknowledged" in thread(slack_app)[0]
    slack_app.slack.wait_for(lambda: "Acknowledged by: @U0ALICE" in card_text(slack_app))
    slack_app.click(blocks.ACK, str(incident.id), user="U0BOB")
    slack_app.slack.wait_for(lambda: notes(slack_app))
    assert "already acknowledged by <@U0ALICE>" in notes(slack_app)[0]
    assert slack_app.slack.of("hook")[0].body["response_type"] == "ephemeral"
    assert len(thread(slack_app)) == 1


def test_resolve_opens_the_dialog_and_acknowledge_after_resolve_gets_a_note(slack_app: SlackApp) -> None:
    incident = posted_card(slack_app)
    slack_app.click(blocks.RESOLVE, str(incident.id))
    slack_app.slack.wait_for(lambda: slack_app.slack.of("views.open"))
    assert thread(slack_app) == [], "the click alone resolves nothing: its dialog does (test_resolve_dialog.py)"
    resolved = incident_ops.act(slack_app.engine, incident.id, incident_ops.resolve, by="U0ALICE",
                                now=slack_app.clock())
    assert resolved is not None and resolved.changed
    slack_app.click(blocks.ACK, str(incident.id), user="U0BOB")
    slack_app.slack.wait_for(lambda: notes(slack_app))
    assert "already resolved by <@U0ALICE>" in notes(slack_app)[0]


def test_simultaneous_acknowledges_acknowledge_once(slack_app: SlackApp) -> None:
    incident = posted_card(slack_app)
    clicks = [
        threading.Thread(target=slack_app.click, args=(blocks.ACK, str(incident.id)), kwargs={"user": f"U0USER{n}"})
        for n in range(4)
    ]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join()
    slack_app.slack.wait_for(lambda: len(thread(slack_app)) + len(notes(slack_app)) >= 4)
    assert len(thread(slack_app)) == 1
    assert all("already acknowledged" in note for note in notes(slack_app))


def test_snooze_sets_state_and_time(slack_app: SlackApp) -> None:
    incident = posted_card(slack_app)
    slack_app.click(blocks.SNOOZE, f"{incident.id}:4h", select=True)
    slack_app.slack.wait_for(lambda: thread(slack_app))
    stored = load_incident(slack_app.engine, incident.id)
    assert stored is not None and stored.state is IncidentState.SNOOZED
    assert stored.snoozed_until is not None
    assert abs(stored.snoozed_until - (slack_app.clock() + timedelta(hours=4))) < timedelta(seconds=1)
    assert "snoozed thread updates until" in thread(slack_app)[0]


def test_recheck_answers_in_the_thread(slack_app: SlackApp) -> None:
    incident = posted_card(slack_app)
    slack_app.click(blocks.RECHECK, str(incident.id))
    slack_app.slack.wait_for(lambda: thread(slack_app))
    assert "Recheck: ⛔ example.com is listed" in thread(slack_app)[0]
    assert slack_app.checker.calls == [("example.com", ())]


def test_post_to_channel_shares_the_answer(slack_app: SlackApp) -> None:
    slack_app.click(blocks.POST_TO_CHANNEL, "example.com", user="U0ALICE")
    slack_app.slack.wait_for(lambda: slack_app.slack.of("hook"))
    shared = slack_app.slack.of("hook")[0].body
    assert shared["response_type"] == "in_channel"
    text = render_text(shared)
    assert "example.com is listed" in text and "Shared by @U0ALICE" in text and "Post to channel" not in text


def test_buttons_refuse_people_not_allowed(engine: Engine, slack: SlackStandIn, clock: Clock) -> None:
    settings = make_settings(slack, allowed_users=["U0ALICE"])
    services, app = build(settings, engine, slack, clock)
    url, stop = serve(make_wsgi(app, lambda: True))
    try:
        runner = SlackApp(
            url=url,
            services=services,
            checker=FakeChecker(),
            slack=slack,
            engine=engine,
            clock=clock,
        )
        incident = posted_card(runner)
        runner.click(blocks.RESOLVE, str(incident.id), user="U0MALLORY")
        slack.wait_for(lambda: notes(runner))
        assert "not on my list" in notes(runner)[0]
        stored = load_incident(engine, incident.id)
        assert stored is not None and stored.state is IncidentState.OPEN
    finally:
        stop()


def test_clicks_that_run_checks_share_the_rate_limit(engine: Engine, slack: SlackStandIn, clock: Clock) -> None:
    services, app = build(make_settings(slack, commands_per_minute=1), engine, slack, clock)
    url, stop = serve(make_wsgi(app, lambda: True))
    try:
        runner = SlackApp(url=url, slack=slack, services=services, checker=FakeChecker(), engine=engine, clock=clock)
        runner.click(blocks.POST_TO_CHANNEL, "example.com")
        slack.wait_for(lambda: slack.of("hook"))
        runner.click(blocks.POST_TO_CHANNEL, "example.com")
        slack.wait_for(lambda: len(slack.of("hook")) == 2)
        assert "1 check a minute" in str(slack.of("hook")[1].body["text"])
    finally:
        stop()
