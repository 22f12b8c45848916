"""The Resolve dialog (issue 15) as real signed HTTP requests: the click opens it, its submission resolves
with what it was and a note, once, for the people allowed, and the note stays inert on every surface."""

from __future__ import annotations

import io
import json
import threading
import time
import urllib.parse
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bot.errors import StoreError
from bot.models import (
    Cause,
    IncidentEvent,
    IncidentState,
    ResolutionOutcome,
    Resolved,
)
from bot.monitor.notify import ConsoleNotifier
from bot.slack import blocks, incident_ops, modals
from bot.slack.queries import load_incident
from bot.slack.text_render import render_text
from bot.slack.wsgi import make_wsgi
from bot.store.incidents_store import events_of
from bot.store.schema import incidents
from tests.servers.slack_api import SlackStandIn
from tests.slack.conftest import CHANNEL, Clock, Endpoint, FakeChecker, SlackApp, build, make_settings, serve
from tests.slack.helpers import HOSTILE, INCIDENT, NOW, notes, posted_card, thread

NOTE = "The relay at 192.0.2.10 was misconfigured.\nFixed at 14:05, delisting requested."
HOSTILE_NOTE = f"{HOSTILE} *PAY NOW* _urgent_ @here www.evil.example :rotating_light:\n> fake quote"


def card_ts(app: Endpoint) -> str:
    return str(app.slack.messages[CHANNEL][0]["ts"])


def click_resolve(app: Endpoint, incident_id: int, *, user: str = "U0ALICE") -> str:
    """A signed click on the card's Resolve button, as Slack sends it; returns its trigger_id."""
    trigger = f"trig.{time.monotonic_ns()}"
    payload = {
        "type": "block_actions",
        "user": {"id": user},
        "team": {"id": "T0001"},
        "channel": {"id": CHANNEL},
        "container": {"type": "message", "channel_id": CHANNEL, "message_ts": card_ts(app)},
        "message": {"ts": card_ts(app)},
        "trigger_id": trigger,
        "response_url": app.slack.hook_url("action"),
        "actions": [{"action_id": blocks.RESOLVE, "block_id": f"incident:{incident_id}", "type": "button",
                     "value": str(incident_id), "action_ts": f"{time.time():.6f}"}],
        "api_app_id": "A1",
        "token": "legacy",
    }
    status, _, elapsed = app.post(urllib.parse.urlencode({"payload": json.dumps(payload)}).encode())
    assert status == 200 and elapsed < 2
    return trigger


def opened_dialog(app: SlackApp, incident_id: int) -> dict[str, Any]:
    """The view the click opened (views.open on the stand-in)."""
    click_resolve(app, incident_id)
    app.slack.wait_for(lambda: app.slack.of("views.open"))
    view = app.slack.of("views.open")[-1].body["view"]
    assert isinstance(view, dict)
    return view


def submit(app: Endpoint, view: dict[str, Any], *, outcome: ResolutionOutcome | None = ResolutionOutcome.CONFIRMED,
           note: str | None = None, user: str = "U0ALICE") -> tuple[int, dict[str, Any]]:
    """A signed view_submission of `view` with the choice and note filled in; returns the ack's JSON ({}: closed)."""
    values: dict[str, Any] = {
        modals.OUTCOME_BLOCK: {modals.OUTCOME_ACTION: {
            "type": "radio_buttons",
            "selected_option": {"text": {"type": "plain_text", "text": str(outcome)}, "value": str(outcome)}
            if outcome else None}},
        modals.NOTE_BLOCK: {modals.NOTE_ACTION: {"type": "plain_text_input", "value": note}},
    }
    payload = {
        "type": "view_submission",
        "team": {"id": "T0001"},
        "user": {"id": user},
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": f"trig.{time.monotonic_ns()}",
        "view": {**view, "id": "V00000001", "hash": "1.abc", "state": {"values": values}},
        "response_urls": [],
    }
    status, body, _ = app.post(urllib.parse.urlencode({"payload": json.dumps(payload)}).encode())
    return status, json.loads(body) if body.strip() else {}


def strings(node: object) -> list[str]:
    if isinstance(node, dict):
        return [text for value in node.values() for text in strings(value)]
    if isinstance(node, list):
        return [text for value in node for text in strings(value)]
    return [node] if isinstance(node, str) else []


def assert_disarmed(payload: object) -> None:
    """Nothing HOSTILE_NOTE tries is live, yet the note is shown. (tests/slack/test_inert.py's
    assert_nothing_live checks every construct; a test module may not import another's.)"""
    shown = "\n".join(strings(payload))
    assert "PAY NOW" in shown and "fake quote" in shown, "the note is shown, only disarmed"
    live = ["<!channel>", "<!here>", "<@U0BOSS>", "<https://evil", "*PAY NOW*", "_urgent_", " @here", "www.evil",
            ":rotating_light:", "\n>", "\n&gt;"]
    assert [construct for construct in live if construct in shown] == []


def reply(app: SlackApp) -> dict[str, Any]:
    (found,) = [c.body for c in app.slack.of("chat.postMessage") if c.body.get("thread_ts")]
    return found


def test_resolve_opens_the_dialog_and_changes_nothing_yet(slack_app: SlackApp) -> None:
    incident = posted_card(slack_app)
    trigger = click_resolve(slack_app, incident.id)
    slack_app.slack.wait_for(lambda: slack_app.slack.of("views.open"))
    (opened,) = slack_app.slack.of("views.open")
    assert opened.body["trigger_id"] == trigger
    view = opened.body["view"]
    assert view["callback_id"] == modals.RESOLVE_DIALOG and view["title"]["text"] == f"Resolve incident #{incident.id}"
    assert json.loads(view["private_metadata"]) == {"incident_id": incident.id, "channel": CHANNEL,
                                                    "ts": card_ts(slack_app)}
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    choice = inputs[modals.OUTCOME_BLOCK]
    assert choice["label"]["text"] == "What was it?"
    assert [o["text"]["text"] for o in choice["element"]["options"]] == [
        "The likely cause (blacklisted) was the cause", "Another cause", "A false alarm"]
    assert choice["element"]["initial_option"]["value"] == ResolutionOutcome.CONFIRMED
    note = inputs[modals.NOTE_BLOCK]
    assert note["optional"] is True
    assert note["element"]["multiline"] is True and note["element"]["max_length"] == 2000
    time.sleep(0.2)
    stored = load_incident(slack_app.engine, incident.id)
    assert stored is not None and stored.state is IncidentState.OPEN
    assert thread(slack_app) == [] and notes(slack_app) == []


def test_a_false_alarm_with_a_note_resolves_and_every_surface_says_so(slack_app: SlackApp) -> None:
    incident = posted_card(slack_app)
    status, answer = submit(slack_app, opened_dialog(slack_app, incident.id),
                            outcome=ResolutionOutcome.FALSE_ALARM, note=NOTE)
    assert status == 200 and answer == {}, "the dialog closes"
    slack_app.slack.wait_for(lambda: thread(slack_app))
    said = reply(slack_app)
    assert said["reply_broadcast"] in (True, "1", "true")
    text = render_text(said)
    assert "Resolved by @U0ALICE" in text and "What it was: a false alarm." in text
    assert "The relay at 192.0.2.10 was misconfigured." in text and "delisting requested" in text
    slack_app.slack.wait_for(lambda: "Resolved by @U0ALICE" in render_text(slack_app.slack.messages[CHANNEL][0]))
    card = render_text(slack_app.slack.messages[CHANNEL][0])
    assert "What it was: a false alarm" in card and "Fixed at 14:05" in card
    assert "[ Resolve ]" not in card, "a resolved card has no buttons"

    stored = load_incident(slack_app.engine, incident.id)
    assert stored is not None and stored.state is IncidentState.RESOLVED and stored.resolved_by == "U0ALICE"
    assert stored.resolution is ResolutionOutcome.FALSE_ALARM and stored.resolution_note == NOTE
    with slack_app.engine.connect() as conn:
        row = conn.execute(select(incidents.c.resolution, incidents.c.resolution_note)
                           .where(incidents.c.id == incident.id)).one()
        assert tuple(row) == ("false_alarm", NOTE)
        resolved = [e.data for e in events_of(conn, incident.id) if isinstance(e.data, Resolved)]
    assert resolved == [Resolved(by_person=True, outcome=ResolutionOutcome.FALSE_ALARM, note=NOTE)]


def test_a_second_submission_changes_nothing_and_says_so(slack_app: SlackApp) -> None:
    incident = posted_card(slack_app)
    view = opened_dialog(slack_app, incident.id)
    assert submit(slack_app, view, outcome=ResolutionOutcome.FALSE_ALARM, note=NOTE) == (200, {})
    slack_app.slack.wait_for(lambda: thread(slack_app))
    status, answer = submit(slack_app, view, outcome=ResolutionOutcome.OTHER_CAUSE, note="second thoughts",
                            user="U0BOB")
    assert status == 200 and answer["response_action"] == "update"
    said = render_text({"blocks": answer["view"]["blocks"]})
    assert f"Incident #{incident.id} on example.com is already resolved by @U0ALICE" in said
    time.sleep(0.3)
    assert len(thread(slack_app)) == 1
    stored = load_incident(slack_app.engine, incident.id)
    assert stored is not None and stored.resolution is ResolutionOutcome.FALSE_ALARM
    assert stored.resolution_note == NOTE and stored.resolved_by == "U0ALICE"


def test_a_click_on_a_resolved_incident_opens_no_dialog(slack_app: SlackApp) -> None:
    incident = posted_card(slack_app)
    submit(slack_app, opened_dialog(slack_app, incident.id))
    slack_app.slack.wait_for(lambda: thread(slack_app))
    click_resolve(slack_app, incident.id, user="U0BOB")
    slack_app.slack.wait_for(lambda: notes(slack_app))
    assert "already resolved by <@U0ALICE>" in notes(slack_app)[0]
    assert len(slack_app.slack.of("views.open")) == 1


def test_simultaneous_submissions_resolve_once(slack_app: SlackApp) -> None:
    incident = posted_card(slack_app)
    view = opened_dialog(slack_app, incident.id)
    answers: list[dict[str, Any]] = []

    def one(user: str) -> None:
        answers.append(submit(slack_app, view, note=f"by {user}", user=user)[1])

    people = [threading.Thread(target=one, args=(f"U0USER{n}",)) for n in range(4)]
    for person in people:
        person.start()
    for person in people:
        person.join()
    assert sorted(a.get("response_action", "closed") for a in answers) == ["closed", "update", "update", "update"]
    slack_app.slack.wait_for(lambda: thread(slack_app))
    time.sleep(0.3)
    assert len(thread(slack_app)) == 1


def test_people_not_allowed_get_the_error_in_the_dialog(engine: Engine, slack: SlackStandIn, clock: Clock) -> None:
    services, app = build(make_settings(slack, allowed_users=["U0ALICE"]), engine, slack, clock)
    url, stop = serve(make_wsgi(app, lambda: True))
    try:
        runner = SlackApp(url=url, services=services, checker=FakeChecker(), slack=slack, engine=engine, clock=clock)
        incident = posted_card(runner)
        view = opened_dialog(runner, incident.id)  # Alice may
        click_resolve(runner, incident.id, user="U0MALLORY")
        slack.wait_for(lambda: notes(runner))
        assert "not on my list" in notes(runner)[0] and len(slack.of("views.open")) == 1, "no dialog for Mallory"
        # Alice's dialog, submitted by someone else (or by Alice after an admin took her off the list)
        status, answer = submit(runner, view, outcome=ResolutionOutcome.FALSE_ALARM, note=NOTE, user="U0MALLORY")
        assert status == 200 and answer["response_action"] == "errors"
        assert "not on my list" in answer["errors"][modals.OUTCOME_BLOCK]
        time.sleep(0.3)
        stored = load_incident(engine, incident.id)
        assert stored is not None and stored.state is IncidentState.OPEN and stored.resolution is None
        assert thread(runner) == []
    finally:
        stop()


def test_a_dialog_slack_would_not_open_gets_a_sentence(slack_app: SlackApp) -> None:
    incident = posted_card(slack_app)
    slack_app.slack.fail("views.open", 200, error="expired_trigger_id")
    click_resolve(slack_app, incident.id)
    slack_app.slack.wait_for(lambda: notes(slack_app))
    assert "Slack refused one of my calls" in notes(slack_app)[0]
    stored = load_incident(slack_app.engine, incident.id)
    assert stored is not None and stored.state is IncidentState.OPEN


def test_a_store_that_does_not_answer_keeps_the_dialog_open_with_a_sentence(
    slack_app: SlackApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident = posted_card(slack_app)
    view = opened_dialog(slack_app, incident.id)

    def busy(*_args: object, **_kwargs: object) -> None:
        raise StoreError("incidents kept changing under us; gave up after 3 attempts")

    monkeypatch.setattr(incident_ops, "act", busy)
    status, answer = submit(slack_app, view, note=NOTE)
    assert status == 200 and answer["response_action"] == "errors"
    assert "My database is not answering right now" in answer["errors"][modals.OUTCOME_BLOCK]


def test_a_tampered_dialog_is_no_longer_valid(slack_app: SlackApp) -> None:
    incident = posted_card(slack_app)
    view = opened_dialog(slack_app, incident.id)
    for tampered, outcome in [({**view, "private_metadata": "{"}, ResolutionOutcome.CONFIRMED),
                              ({**view, "private_metadata": json.dumps({"incident_id": "7"})}, None),
                              (view, None)]:
        status, answer = submit(slack_app, tampered, outcome=outcome)
        assert status == 200 and answer["response_action"] == "errors"
        assert "no longer valid" in answer["errors"][modals.OUTCOME_BLOCK]
    stored = load_incident(slack_app.engine, incident.id)
    assert stored is not None and stored.state is IncidentState.OPEN


def test_a_hostile_note_is_inert_in_the_thread_and_on_the_card(slack_app: SlackApp) -> None:
    incident = posted_card(slack_app)
    submit(slack_app, opened_dialog(slack_app, incident.id), outcome=ResolutionOutcome.OTHER_CAUSE, note=HOSTILE_NOTE)
    slack_app.slack.wait_for(lambda: thread(slack_app))
    slack_app.slack.wait_for(lambda: "What it was" in render_text(slack_app.slack.messages[CHANNEL][0]))
    said, card = reply(slack_app), slack_app.slack.messages[CHANNEL][0]
    assert "What it was: another cause." in render_text(said)
    for payload in (said, card):
        assert_disarmed(payload)


def test_the_mention_still_resolves_without_a_note(slack_app: SlackApp) -> None:
    incident = posted_card(slack_app)
    event = {"type": "app_mention", "user": "U0ALICE", "text": "<@UBOT00001> resolve", "ts": "1800000000.000900",
             "channel": CHANNEL, "event_ts": "1800000000.000900", "thread_ts": card_ts(slack_app)}
    assert slack_app.event(event)[0] == 200
    slack_app.slack.wait_for(lambda: thread(slack_app))
    assert "What it was" not in thread(slack_app)[0]
    stored = load_incident(slack_app.engine, incident.id)
    assert stored is not None and stored.state is IncidentState.RESOLVED
    assert stored.resolution is None and stored.resolution_note == ""


# --------------------------------------------------------------------------- pure: the view, the console


def test_the_dialog_fits_slacks_limits_and_reads_back() -> None:
    huge = replace(INCIDENT, id=10**12, cause=Cause.COMPROMISED_SENDER, domain=HOSTILE)
    view = modals.resolve_dialog(huge, channel=CHANNEL, ts="1.2")
    assert view["title"]["text"] == "Resolve incident" and len(view["title"]["text"]) <= 24
    options = view["blocks"][1]["element"]["options"]
    assert all(len(o["text"]["text"]) <= 75 and len(o.get("description", {}).get("text", "")) <= 75 for o in options)
    shown = "\n".join(strings(view))
    assert "<!channel>" not in shown and "<@U0BOSS>" not in shown and "<https://evil" not in shown
    filled = {**view, "state": {"values": {
        modals.OUTCOME_BLOCK: {modals.OUTCOME_ACTION: {"selected_option": {"value": "other_cause"}}},
        modals.NOTE_BLOCK: {modals.NOTE_ACTION: {"value": "  " + "x" * 3000 + "  "}}}}}
    read = modals.read_resolution(filled)
    assert read is not None and read.of == modals.DialogOf(incident_id=10**12, channel=CHANNEL, ts="1.2")
    assert read.outcome is ResolutionOutcome.OTHER_CAUSE and read.note == "x" * 2000


def test_the_console_prints_what_it_was_and_the_note_on_one_line() -> None:
    out = io.StringIO()
    resolved = replace(INCIDENT, state=IncidentState.RESOLVED, resolved_at=NOW, resolved_by="U0ALICE")
    data = Resolved(by_person=True, outcome=ResolutionOutcome.CONFIRMED, note="relay fixed\n\x1b[31mred\x07")
    ConsoleNotifier(out).notify(resolved, [IncidentEvent(incident_id=7, at=NOW + timedelta(minutes=1), data=data,
                                                         actor="U0ALICE")])
    assert out.getvalue() == ("[example.com #7] resolved by U0ALICE: the likely cause (blacklisted) was the cause; "
                              "peak 140 bounces in the window; note: relay fixed [31mred\n")
