"""No credential reaches a log line at any verbosity: tickets, tokens, URL passwords."""

from __future__ import annotations

import logging

import pytest

from bot.redact import Redact, redact


@pytest.mark.parametrize(("line", "secret"), [
    ("Connecting to wss://wss-primary.slack.com/link/?ticket=abc-123-secret&app_id=A1", "abc-123-secret"),
    ("engine postgresql+psycopg://bot:hunter2@db/bouncecheck", "hunter2"),
    ("token xoxb-1111-2222-abcdefABCDEF in a message", "xoxb-1111-2222-abcdefABCDEF"),
    ("app token xapp-1-A0-123-abcdef", "xapp-1-A0-123-abcdef"),
], ids=["socket-ticket", "db-password", "bot-token", "app-token"])
def test_credentials_are_redacted(line: str, secret: str) -> None:
    assert secret not in redact(line)


def test_the_filter_rewrites_what_a_handler_writes(caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(Redact())
    with caplog.at_level(logging.DEBUG, logger="slack_sdk.socket_mode"):
        logging.getLogger("slack_sdk.socket_mode").debug("Connecting to %s", "wss://x.example/link/?ticket=T0P-S3CRET")
    assert "T0P-S3CRET" not in caplog.text and "ticket=***" in caplog.text


def test_ordinary_lines_are_unchanged() -> None:
    line = "mailbox 'postmaster' folder 'INBOX': 3 new messages, 2 bounces; https://check.spamhaus.org/"
    assert redact(line) == line
