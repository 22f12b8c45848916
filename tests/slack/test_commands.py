"""`/bouncecheck` as real signed HTTP requests to the app's endpoint on a loopback port."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import Engine

from bot.config import Settings
from bot.models import CheckResult
from bot.reputation.check import check_target
from bot.reputation.resolver import Resolver
from bot.slack.text_render import render_text
from bot.slack.wsgi import make_wsgi
from tests.conftest import free_port
from tests.servers.dns import Behaviour, DNSServer, dns_server  # noqa: F401  (the fixture)
from tests.servers.slack_api import WORKSPACE_URL, SlackStandIn
from tests.slack.conftest import (
    CHANNEL,
    SECRET,
    Clock,
    FakeChecker,
    SlackApp,
    build,
    make_settings,
    serve,
    store_incident,
)
from tests.slack.helpers import posted_card


def reply(body: bytes) -> str:
    """The ack's text: Bolt sends plain text for `ack(text=...)`, JSON when there are blocks."""
    try:
        return render_text(json.loads(body))
    except json.JSONDecodeError:
        return body.decode()


def hooks(slack: SlackStandIn) -> list[dict[str, object]]:
    return [c.body for c in slack.of("hook")]


def test_acks_at_once_then_answers_ephemerally_with_figures_and_incident(slack_app: SlackApp) -> None:
    incident = store_incident(slack_app.engine)
    slack_app.checker.delay = 3.0  # a slow DNS check must not delay the ack
    status, body, elapsed = slack_app.command("example.com")
    assert status == 200 and elapsed < 1.5
    assert reply(body) == "Checking example.com…"
    slack_app.slack.wait_for(lambda: hooks(slack_app.slack))
    answer = hooks(slack_app.slack)[0]
    assert answer["response_type"] == "ephemeral"
    text = render_text(answer)
    assert text.startswith("⛔ example.com is listed on 1 blocklist")
    assert f"Incident #{incident.id} on example.com is open" in text
    assert "0 in the last 1h (threshold 50)" in text
    assert "[ Post to channel ]" in text
    assert slack_app.checker.calls == [("example.com", ())]


def test_the_answer_links_to_the_card_with_the_workspaces_own_link(slack_app: SlackApp) -> None:
    posted_card(slack_app)
    slack_app.slack.wait_for(lambda: slack_app.slack.of("chat.getPermalink"))
    time.sleep(0.2)  # the link is stored right after Slack gives it
    slack_app.command("example.com")
    slack_app.slack.wait_for(lambda: hooks(slack_app.slack))
    text = render_text(hooks(slack_app.slack)[0], width=300)
    assert f"open the incident card ({WORKSPACE_URL}/archives/{CHANNEL}/p" in text
    assert slack_app.slack.base_url not in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "Usage"),
        ("help", "Usage"),
        ("not_a_domain!", "'!' cannot be part of one): give a"),
        ("a b", "Give one domain"),
    ],
)
def test_help_empty_and_bad_text_answer_usage(slack_app: SlackApp, text: str, expected: str) -> None:
    status, body, _ = slack_app.command(text)
    assert status == 200
    assert expected in reply(body)
    time.sleep(0.2)
    assert not slack_app.checker.calls and not hooks(slack_app.slack)


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("postmaster@Example.COM", "example.com"),
        ("<mailto:postmaster@example.com|postmaster@example.com>", "example.com"),
        ("<https://example.com/path|example.com/path>", "example.com"),
        ("<https://mail.example.com>", "mail.example.com"),
        ("https://example.com/path", "example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("192.0.2.10", "192.0.2.10"),
    ],
)
def test_addresses_idn_and_ips(slack_app: SlackApp, text: str, target: str) -> None:
    _, body, _ = slack_app.command(text)
    assert reply(body) == f"Checking {target}…"
    slack_app.slack.wait_for(lambda: slack_app.checker.calls)
    assert slack_app.checker.calls[0][0] == target


def test_bad_signature_and_stale_timestamp_are_401(slack_app: SlackApp) -> None:
    body = b"command=%2Fbouncecheck&text=example.com&user_id=U1&channel_id=C1"
    assert slack_app.post(body, secret="wrong")[0] == 401
    assert slack_app.post(body, timestamp=int(time.time()) - 301)[0] == 401
    assert slack_app.post(body)[0] == 200


def test_rate_limit_per_user(engine: Engine, slack: SlackStandIn, clock: Clock) -> None:
    settings = make_settings(slack, commands_per_minute=2)
    services, app = build(settings, engine, slack, clock)
    url, stop = serve(make_wsgi(app, lambda: True))
    try:
        runner = SlackApp(url=url, services=services, checker=FakeChecker(), slack=slack, engine=engine, clock=clock)
        answers = [reply(runner.command("example.com")[1]) for _ in range(3)]
        assert answers[:2] == ["Checking example.com…"] * 2
        assert "2 checks a minute" in answers[2]
        assert reply(runner.command("example.com", user="U0OTHER")[1]) == "Checking example.com…"
    finally:
        stop()


def test_allowed_channels_and_users_refuse_politely(engine: Engine, slack: SlackStandIn, clock: Clock) -> None:
    settings: Settings = make_settings(slack, allowed_channels=["C0OPS"], allowed_users=["U0ALICE"])
    services, app = build(settings, engine, slack, clock)
    url, stop = serve(make_wsgi(app, lambda: True))
    try:
        runner = SlackApp(url=url, services=services, checker=FakeChecker(), slack=slack, engine=engine, clock=clock)
        assert "only take requests in the channels" in reply(runner.command("example.com", channel="C0ELSEWHERE")[1])
        refused = reply(runner.command("example.com", channel="C0OPS", user="U0MALLORY")[1])
        assert "not on my list" in refused
        assert reply(runner.command("example.com", channel="C0OPS")[1]) == "Checking example.com…"
    finally:
        stop()


def test_check_failure_becomes_a_short_sentence(slack_app: SlackApp) -> None:
    def broken(target: str, ips: object) -> object:
        raise RuntimeError("resolver exploded\nTraceback ...")

    object.__setattr__(slack_app.services, "check", broken)
    slack_app.command("example.com")
    slack_app.slack.wait_for(lambda: hooks(slack_app.slack))
    text = str(hooks(slack_app.slack)[0]["text"])
    assert text.startswith("⚠️ Something went wrong") and "Traceback" not in text
    assert hooks(slack_app.slack)[0]["replace_original"] is True, "'Checking example.com…' must not stay above it"


def test_signing_secret_is_the_one_configured() -> None:
    assert SECRET == "test-signing-secret"


def _real_checks(slack_app: SlackApp, settings: Settings) -> None:
    """The app's checker replaced by the real one, through `settings`' resolver."""

    def check(target: str, bounce_ips: tuple[str, ...]) -> CheckResult:
        return check_target(target, settings, bounce_ips=bounce_ips, resolver=Resolver(settings.dns), env={})

    object.__setattr__(slack_app.services, "check", check)


def _answer_to(slack_app: SlackApp, text: str) -> dict[str, object]:
    slack_app.command(text)
    slack_app.slack.wait_for(lambda: hooks(slack_app.slack))
    return hooks(slack_app.slack)[0]


def test_a_private_ip_is_not_public_and_never_a_tick(slack_app: SlackApp) -> None:
    nobody = Settings.model_validate({"dns": {"nameservers": [f"127.0.0.1:{free_port()}"], "timeout": "0.5s"}})
    _real_checks(slack_app, nobody)  # no resolver answers: the check must not need one
    answer = _answer_to(slack_app, "10.0.0.1")
    assert answer["text"] == ("❔ 10.0.0.1 is not a public address: blocklists do not list it "
                              "(private network, RFC 1918)")
    assert "✅" not in render_text(answer)


def test_a_resolver_at_fault_is_named_in_the_answer(slack_app: SlackApp, dns_server: DNSServer) -> None:  # noqa: F811
    dns_server.world.rule("", Behaviour.NXDOMAIN)
    _real_checks(slack_app, Settings(dns=dns_server.settings()))
    answer = _answer_to(slack_app, "example.com")
    assert answer["text"] == (
        f"❔ Could not tell whether example.com is listed because the resolver 127.0.0.1:{dns_server.port} answers "
        "NXDOMAIN for every blacklist's test entry: it is at fault, not the lists, and what it says does not exist "
        "at example.com cannot be trusted either; point [dns] nameservers at a working resolver")
    text = render_text(answer)
    assert "SPF: could not look up: resolver at fault" in text and "none published" not in text
    assert "✅" not in text and "dead" not in text


def test_cleaning_what_was_typed_is_linear() -> None:
    from bot.slack.commands.bouncecheck import clean_text

    started = time.perf_counter()
    assert clean_text("<" * 16_000) == "<" * 16_000
    assert clean_text("<mailto:a@example.com|a@example.com>") == "mailto:a@example.com"
    assert clean_text("<http://example.com|example.com>") == "http://example.com"
    assert time.perf_counter() - started < 0.5
