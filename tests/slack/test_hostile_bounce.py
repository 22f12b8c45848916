"""A hostile bounce through the whole pipeline: a real scan of a Maildir → evaluation → card and thread through the
outbox → a signed `/bouncecheck` → App Home; every payload Slack receives is inert.

The sender address carries every mrkdwn control character RFC 5322 allows in a local part, and the
bounce's own text carries mentions, links, bidi overrides and BEL; none of it may ping, link or format.
"""

from __future__ import annotations

import mailbox
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.config import MailboxSettings
from bot.mail.scanner import ScanContext, scan_all
from bot.monitor.evaluate import evaluate
from tests import mailgen
from tests.slack.conftest import SlackApp

SENDER = "*PAY*~now~`x`_y_!#{z}@example.com"
HOSTILE_TEXT = "<!channel> @here <https://evil.example|click> https://evil.example :rotating_light: \u202eevil\x07"


def hostile_bounce(n: int) -> bytes:
    original = (f"From: {SENDER}\nTo: victim{n}@remote.example.org\nSubject: {HOSTILE_TEXT}\n"
                f"Message-ID: <h{n}@example.com>\n")
    return mailgen.dsn(recipient=f"victim{n}@r{n % 4}.example.org", sender=SENDER, original=original,
                       diagnostic=f"smtp; 550 5.1.1 <victim{n}@remote.example.org>: {HOSTILE_TEXT} User unknown")


def strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for value in node.values() for s in strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in strings(value)]
    return [node] if isinstance(node, str) else []


def live(text: str) -> list[str]:
    """What in `text` Slack would act on, outside the bot's own links, dates and mentions."""
    rest = re.sub(r"<https?://[^|>\s]+\|[^>]*>|<!date\^[^>]*>|<@U[A-Z0-9]+>", "", text)
    prose = re.sub(r"`[^`\n]*`", "", rest)
    found = [token for token in ("<!", "<http", "\u202e", "\x07") if token in rest]
    found += re.findall(r"(?<![\w.%+-])@(?:channel|here|everyone)\b", rest)
    found += re.findall(r"https?://evil|:rotating_light:", rest)
    found += [token for token in ("*pay*", "*PAY*", "~now~", "_y_") if token in prose]
    return found


def test_a_hostile_bounce_is_inert_on_every_surface(slack_app: SlackApp, tmp_path: Path) -> None:
    maildir = tmp_path / "Maildir"
    box = mailbox.Maildir(str(maildir), create=True)
    for n in range(60):
        box.add(hostile_bounce(n))
    settings = slack_app.services.settings
    ctx = ScanContext.from_settings(settings, slack_app.engine, {})
    [result] = scan_all([MailboxSettings(name="postmaster", path=str(maildir))], ctx)
    assert result.bounces == 60
    # mailgen dates the bounces now; the fixture's clock is fixed, so evaluate at the real time.
    for incident, events in evaluate(slack_app.engine, settings, datetime.now(UTC)):
        slack_app.services.notifier.notify(incident, events)
    slack_app.services.kick()
    slack_app.slack.wait_for(lambda: slack_app.slack.of("chat.postMessage"), timeout=10)

    assert slack_app.command("example.com")[0] == 200
    slack_app.slack.wait_for(lambda: [c for c in slack_app.slack.of("hook") if c.path.endswith("/cmd")], timeout=10)
    assert slack_app.event({"type": "app_home_opened", "user": "U0ALICE", "tab": "home",
                            "event_ts": f"{time.time():.6f}"})[0] == 200
    slack_app.slack.wait_for(lambda: slack_app.slack.of("views.publish"), timeout=10)

    shown = ("chat.postMessage", "chat.update", "views.publish")
    payloads = [c.body for c in slack_app.slack.calls if c.method in shown or c.path.startswith("/hooks")]
    card_texts = " ".join(strings(slack_app.slack.messages))
    assert "pay" in card_texts and "now" in card_texts, "the hostile sender should be on the card (as inert text)"
    problems = {text[:80]: live(text) for payload in payloads for text in strings(payload) if live(text)}
    assert problems == {}
