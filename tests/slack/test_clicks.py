"""Tampered, stale and replayed clicks over signed HTTP: "no longer valid" or one action, never a traceback."""

from __future__ import annotations

import json
import logging
import time
import urllib.parse

import pytest

from bot.slack import blocks
from tests.slack.conftest import SlackApp
from tests.slack.helpers import notes, posted_card, thread


@pytest.mark.parametrize(("action_id", "value", "select"), [
    (blocks.ACK, "9" * 40, False),  # past SQLite's integers
    (blocks.ACK, "²", False),  # a Unicode digit int() refuses
    (blocks.RESOLVE, "", False),
    (blocks.RECHECK, "-1", False),
    (blocks.SNOOZE, "1:9999999999d", True),  # an overflowing duration
    (blocks.SNOOZE, "1:2h", True),  # not one of the card's choices
    (blocks.SNOOZE, "x:1h", True),
], ids=["40-digit-id", "superscript-id", "empty", "negative", "huge-snooze", "unoffered-snooze", "bad-id-snooze"])
def test_a_tampered_button_is_no_longer_valid(
    slack_app: SlackApp, action_id: str, value: str, select: bool, caplog: pytest.LogCaptureFixture
) -> None:
    posted_card(slack_app)
    with caplog.at_level(logging.WARNING):
        status, _, _ = slack_app.click(action_id, value, select=select)
        assert status == 200
        slack_app.slack.wait_for(lambda: notes(slack_app))
    assert "That button is no longer valid" in notes(slack_app)[0]
    assert thread(slack_app) == []
    assert "Traceback" not in caplog.text


def test_an_unknown_action_is_acknowledged(slack_app: SlackApp) -> None:
    assert slack_app.click("old_button_from_v0", "1")[0] == 200


def test_a_replayed_snooze_acts_once(slack_app: SlackApp) -> None:
    incident = posted_card(slack_app)
    stamp = f"{time.time():.6f}"
    for _ in range(5):
        assert slack_app.click(blocks.SNOOZE, f"{incident.id}:1h", select=True, action_ts=stamp)[0] == 200
    slack_app.slack.wait_for(lambda: thread(slack_app))
    time.sleep(0.5)
    assert len([t for t in thread(slack_app) if "snoozed" in t]) == 1


def test_payloads_of_the_wrong_shape_are_400_and_events_missing_parts_do_nothing(
    slack_app: SlackApp, caplog: pytest.LogCaptureFixture
) -> None:
    posted_card(slack_app)
    shapes = [{"type": "block_actions", "actions": "x", "user": "U1"},
              {"type": "block_actions", "actions": [42], "user": {"id": "U1"}, "channel": "C1"}]
    with caplog.at_level(logging.WARNING):
        for payload in shapes:
            status, _, _ = slack_app.post(urllib.parse.urlencode({"payload": json.dumps(payload)}).encode())
            assert status == 400  # Bolt would index them blindly: refused at the door
        for event in ({"type": "app_home_opened", "tab": "home"}, {"type": "app_mention", "text": "<@UBOT> status"}):
            assert slack_app.event(event)[0] == 200
        time.sleep(0.5)
    assert "Traceback" not in caplog.text
    assert thread(slack_app) == []
