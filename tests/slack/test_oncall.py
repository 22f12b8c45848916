"""On-call in Slack: routes per domain, reminders of unacknowledged incidents, silences and maintenance windows.

The notifier is built as the bot builds it (bot.runner.build_notifier); posts go through the real
outbox delivery to the Slack stand-in; slash commands are signed HTTP requests to the app.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.config import Settings, settings_from_mapping
from bot.models import EventData, Grew, Incident, IncidentEvent, IncidentState, Resolved
from bot.monitor.quiet import Quiet, QuietKind
from bot.runner import build_notifier
from bot.slack import incident_ops, oncall_blocks
from bot.slack.access import admitted_channels
from bot.slack.app import web_client
from bot.slack.delivery import deliver_outbox
from bot.slack.gateway import SlackGateway
from bot.slack.oncall import QUIET_MARKER, run_oncall
from bot.slack.text_render import render_text
from bot.slack.wsgi import make_wsgi
from bot.store.incidents_store import save, transact
from tests.servers.slack_api import SlackStandIn
from tests.slack.conftest import CHANNEL, T0, TOKEN, Clock, FakeChecker, SlackApp, build, serve, store_incident

SHOP = "C0SHOP"


def oncall_settings(slack: SlackStandIn, **top: Any) -> Settings:
    return settings_from_mapping({
        "monitor": {"domains": ["example.com", "shop.example", "eu.shop.example"], "alert_bounces": 50},
        "slack": {"api_url": slack.api_url, "channel": CHANNEL},
        "routes": [{"domains": ["shop.example", "*.shop.example"], "channel": SHOP, "mention": "S0ONCALL",
                    "escalate_after": "30m", "repeat_after": "1h"}],
        **top,
    })


class Bot:
    """The notifier, the delivery and the on-call job of one bot, on a frozen clock."""

    def __init__(self, engine: Engine, slack: SlackStandIn, settings: Settings, clock: Clock) -> None:
        self.engine, self.slack, self.settings, self.clock = engine, slack, settings, clock
        self.notifier = build_notifier(engine, settings, clock=clock, charts=False)
        self.gateway = SlackGateway(web_client(settings.slack, TOKEN, timeout=5, retries=1))

    def deliver(self) -> None:
        deliver_outbox(self.engine, self.gateway, self.clock())

    def oncall(self) -> None:
        run_oncall(self.engine, self.settings, self.notifier, self.clock())
        self.deliver()

    def cards(self, channel: str) -> list[dict[str, Any]]:
        return [m for m in self.slack.messages.get(channel, []) if "thread_ts" not in m]

    def thread(self, channel: str) -> list[str]:
        return [str(m["text"]) for m in self.slack.messages.get(channel, []) if "thread_ts" in m]


@pytest.fixture
def bot(engine: Engine, slack: SlackStandIn, clock: Clock) -> Bot:
    return Bot(engine, slack, oncall_settings(slack), clock)


def opened(bot: Bot, domain: str) -> Any:
    """An incident opened 30 minutes before now, announced as the evaluation announces it."""
    incident = store_incident(bot.engine, domain=domain, card=None, now=bot.clock.now)
    bot.notifier.notify(incident, [])
    bot.deliver()
    return incident


def evolve(bot: Bot, before: Incident, after: Incident, data: EventData) -> Incident:
    """One step of the evaluation: the incident saved with its event, announced, delivered."""
    event = IncidentEvent(incident_id=before.id, at=bot.clock(), data=data)
    stored = transact(bot.engine, lambda conn: save(conn, before, after, (event,))[0])
    bot.notifier.notify(stored, [event])
    bot.deliver()
    return stored


def card_now(slack: SlackStandIn) -> str:
    """What the card says after its latest edit."""
    return " ".join(render_text(slack.of("chat.update")[-1].body, width=300).split())


def test_two_domains_on_two_routes_get_their_cards_in_their_own_channels(bot: Bot) -> None:
    opened(bot, "example.com")
    opened(bot, "eu.shop.example")
    assert ["Bounce flood on example.com" in json.dumps(m) for m in bot.cards(CHANNEL)] == [True]
    assert ["Bounce flood on eu.shop.example" in json.dumps(m) for m in bot.cards(SHOP)] == [True]


def test_an_unacknowledged_incident_is_reminded_on_time_and_never_after_acknowledge(bot: Bot) -> None:
    incident = opened(bot, "shop.example")  # the card is out now: the first reminder is due in 30 minutes
    bot.clock.advance(minutes=29)
    bot.oncall()
    assert bot.thread(SHOP) == [], "29 minutes unacknowledged: not yet"
    bot.clock.advance(minutes=2)
    bot.oncall()
    bot.oncall()  # the same minute again, as a second instance would: still one reminder
    [reminder] = bot.thread(SHOP)
    assert reminder.startswith("⏰ <!subteam^S0ONCALL> Nobody has acknowledged incident")
    bot.clock.advance(minutes=45)
    bot.oncall()
    assert len(bot.thread(SHOP)) == 1, "the next one is an hour after the first"
    bot.clock.advance(minutes=20)
    bot.oncall()
    assert len(bot.thread(SHOP)) == 2
    incident_ops.act(bot.engine, incident.id, incident_ops.acknowledge, by="U0BOB", now=bot.clock())
    bot.clock.advance(hours=3)
    bot.oncall()
    assert len(bot.thread(SHOP)) == 2, "acknowledged: no more reminders"


def test_after_hours_of_downtime_one_reminder_not_one_per_missed_step(bot: Bot) -> None:
    opened(bot, "shop.example")
    bot.clock.advance(hours=6)  # steps 1 … 6 were due while the bot was down
    bot.oncall()
    assert len(bot.thread(SHOP)) == 1


def test_a_route_without_escalate_after_never_reminds(bot: Bot) -> None:
    opened(bot, "example.com")
    bot.clock.advance(hours=5)
    bot.oncall()
    assert bot.thread(CHANNEL) == []


@pytest.fixture
def app(engine: Engine, slack: SlackStandIn, clock: Clock) -> Any:
    settings = oncall_settings(slack)
    services, wsgi_app = build(settings, engine, slack, clock, FakeChecker())
    url, stop = serve(make_wsgi(wsgi_app, lambda: True))
    yield SlackApp(url=url, services=services, checker=FakeChecker(), slack=slack, engine=engine, clock=clock)
    stop()


def said(body: bytes) -> str:
    return " ".join(render_text(json.loads(body), width=300).split())


def test_a_silence_set_by_slash_command_holds_posts_back_and_the_card_comes_when_it_ends(
        app: SlackApp, bot: Bot) -> None:
    status, body, elapsed = app.command("silence shop.example 2h moving the MX")
    assert status == 200 and elapsed < 3
    answer = said(body)
    assert answer.startswith("shop.example: 🔕 Silenced by @U0ALICE until 2026-11-27 14:00 UTC: moving the MX.")
    opened(bot, "shop.example")
    bot.clock.advance(hours=1)
    bot.oncall()
    assert bot.cards(SHOP) == [] and bot.thread(SHOP) == [], "silenced: nothing posted, no reminder"
    assert "shop.example" in said(app.command("silences")[1])
    bot.clock.advance(hours=1, minutes=1)
    bot.oncall()
    [card] = bot.cards(SHOP)
    assert "Bounce flood on shop.example" in json.dumps(card)
    assert "Silenced" not in json.dumps(card), "the silence is over"


def test_unsilence_and_who_may_silence(app: SlackApp, engine: Engine, slack: SlackStandIn, clock: Clock) -> None:
    app.command("silence example.com 1d")
    assert said(app.command("unsilence example.com")[1]).startswith(
        "🔔 example.com is no longer silenced")
    assert said(app.command("silences")[1]) == "No domain is silenced, and no maintenance window is open."
    for text, problem in [("silence example.com", "Say for how long"), ("silence example.com 90d", "At most 30d"),
                          ("silence 192.0.2.1 1h", "per domain"), ("silence example.com soon", "expected a duration")]:
        assert problem in said(app.command(text)[1]), text
    settings = settings_from_mapping({"slack": {"api_url": slack.api_url, "channel": CHANNEL,
                                                "allowed_users": ["U0ALICE"]}})
    services, wsgi_app = build(settings, engine, slack, clock)
    url, stop = serve(make_wsgi(wsgi_app, lambda: True))
    try:
        other = SlackApp(url=url, services=services, checker=FakeChecker(), slack=slack, engine=engine, clock=clock)
        assert "not on my list" in said(other.command("silence example.com 1h", user="U0MALLORY")[1])
        assert said(other.command("silences")[1]).startswith("No domain is silenced")
    finally:
        stop()


def test_a_silence_on_an_open_incident_shows_on_its_card(app: SlackApp, bot: Bot) -> None:
    opened(bot, "shop.example")
    app.command("silence shop.example 4h planned migration")
    app.slack.wait_for(lambda: app.slack.of("chat.update"))
    shown = " ".join(render_text(app.slack.of("chat.update")[-1].body, width=300).split())
    assert "🔕 Silenced by @U0ALICE until 2026-11-27 16:00 UTC: planned migration." in shown


def test_a_maintenance_window_across_a_flood_posts_nothing_until_it_closes(
        engine: Engine, slack: SlackStandIn, clock: Clock) -> None:
    window = {"domains": ["*.shop.example"], "start": datetime(2026, 11, 27, 12, 30),
              "end": datetime(2026, 11, 27, 14, 0), "timezone": "Europe/Berlin", "reason": "MX move"}
    bot = Bot(engine, slack, oncall_settings(slack, maintenance=[window]), clock)  # 11:30-13:00 UTC
    opened(bot, "eu.shop.example")
    assert bot.cards(SHOP) == []
    bot.clock.advance(minutes=59)
    bot.oncall()
    assert bot.cards(SHOP) == [] and bot.thread(SHOP) == []
    bot.clock.advance(minutes=2)
    bot.oncall()
    assert len(bot.cards(SHOP)) == 1
    assert bot.clock.now > datetime(2026, 11, 27, 13, 0, tzinfo=UTC)


def test_resolved_incidents_are_neither_reminded_nor_reposted(bot: Bot) -> None:
    incident = opened(bot, "shop.example")
    incident_ops.act(bot.engine, incident.id, incident_ops.resolve, by="U0BOB", now=bot.clock())
    bot.clock.advance(hours=2)
    bot.oncall()
    assert [m for m in bot.thread(SHOP) if m.startswith("⏰")] == []
    assert len(bot.cards(SHOP)) == 1


def test_app_home_shows_who_silenced_a_domain_and_why(app: SlackApp) -> None:
    app.command("silence example.com 3h <!channel> campaign")
    app.event({"type": "app_home_opened", "user": "U0ALICE", "channel": "D0001", "tab": "home",
               "event_ts": "1800000000.000100"})
    app.slack.wait_for(lambda: app.slack.of("views.publish"))
    view = app.slack.of("views.publish")[0].body["view"]
    shown = " ".join(render_text({"blocks": view["blocks"]}, width=300).split())
    assert "🔕 Silenced by @U0ALICE until 2026-11-27 15:00 UTC: " in shown and "campaign" in shown
    assert "<!channel>" not in json.dumps(view), "the reason is inert"


def test_the_usage_names_the_silence_commands(app: SlackApp) -> None:
    assert "/bouncecheck silence example.com 2h [reason]" in said(app.command("help")[1])


def test_reminders_count_from_when_a_held_back_card_was_posted(app: SlackApp, bot: Bot) -> None:
    app.command("silence shop.example 2h migration")
    opened(bot, "shop.example")  # opened 30 minutes ago, its card held back
    bot.clock.advance(hours=2, minutes=1)
    bot.oncall()
    assert len(bot.cards(SHOP)) == 1
    bot.clock.advance(minutes=1)
    bot.oncall()
    assert bot.thread(SHOP) == [], "the card is a minute old: people have not had their 30 minutes"
    bot.clock.advance(minutes=30)
    bot.oncall()
    [reminder] = bot.thread(SHOP)
    assert reminder.startswith("⏰ <!subteam^S0ONCALL> Nobody has acknowledged incident")


def test_a_card_out_before_a_silence_keeps_up_and_drops_the_silence_once_it_is_over(app: SlackApp, bot: Bot) -> None:
    incident = opened(bot, "shop.example")
    app.command("silence shop.example 1h")
    app.slack.wait_for(lambda: app.slack.of("chat.update"))
    bot.clock.advance(minutes=20)
    grown = replace(incident, bounces_in_window=900, peak=900, updated_at=bot.clock.now)
    evolve(bot, incident, grown, Grew(previous=120, count=900))
    during = card_now(app.slack)
    assert "Bounces in window: 900 (threshold 50)" in during, "edited in place: that posts nothing"
    assert "🔕 Silenced by @U0ALICE" in during
    assert bot.thread(SHOP) == [] and len(bot.cards(SHOP)) == 1, "no reply, no new card while silenced"
    bot.clock.advance(hours=1)  # the silence ran out: nobody lifted it
    bot.oncall()
    after = card_now(app.slack)
    assert "Bounces in window: 900" in after and "Silenced" not in after
    edits = len(app.slack.of("chat.update"))
    for _ in range(3):
        bot.clock.advance(minutes=1)
        bot.oncall()
    assert len(app.slack.of("chat.update")) == edits, "refreshed once, not every minute"


def test_an_incident_resolved_during_a_silence_ends_resolved_on_its_card(app: SlackApp, bot: Bot) -> None:
    incident = opened(bot, "shop.example")
    app.command("silence shop.example 2h migration")
    app.slack.wait_for(lambda: app.slack.of("chat.update"))
    bot.clock.advance(minutes=30)
    now = bot.clock.now
    evolve(bot, incident, replace(incident, state=IncidentState.RESOLVED, resolved_at=now, updated_at=now),
           Resolved(by_person=False))
    resolved = card_now(app.slack)
    assert "Resolved" in resolved and "🔴 Open" not in resolved and "Silenced" not in resolved
    assert bot.thread(SHOP) == [], "the resolution's reply is a post: it stays out while silenced"
    bot.clock.advance(hours=3)
    bot.oncall()
    assert card_now(app.slack) == resolved and len(bot.cards(SHOP)) == 1


def test_the_quiet_marker_is_how_a_quiet_line_ends() -> None:
    for kind in QuietKind:
        quiet = Quiet(domain="shop.example", kind=kind, until=T0, by="U0ALICE", reason="MX move")
        assert oncall_blocks.quiet_line(quiet).endswith(QUIET_MARKER)


def test_route_channels_and_the_ops_channel_pass_allowed_channels(
        engine: Engine, slack: SlackStandIn, clock: Clock) -> None:
    route = {"domains": ["shop.example"], "channel": SHOP}
    settings = settings_from_mapping({"slack": {"api_url": slack.api_url, "channel": CHANNEL,
                                                "ops_channel": "C0BOTOPS", "allowed_channels": ["C0TRIAGE"]},
                                      "routes": [route]})
    assert admitted_channels(settings) == {"C0TRIAGE", CHANNEL, SHOP, "C0BOTOPS"}
    open_to_all = settings_from_mapping({"slack": {"channel": CHANNEL}, "routes": [route]})
    assert admitted_channels(open_to_all) == frozenset(), "no allowed_channels: every channel"
    services, wsgi_app = build(settings, engine, slack, clock)
    url, stop = serve(make_wsgi(wsgi_app, lambda: True))
    try:
        app = SlackApp(url=url, services=services, checker=FakeChecker(), slack=slack, engine=engine, clock=clock)
        for channel in ("C0TRIAGE", CHANNEL, SHOP, "C0BOTOPS"):
            assert said(app.command("silences", channel=channel)[1]).startswith("No domain is silenced"), channel
        assert "only take requests in the channels" in said(app.command("silences", channel="C0RANDOM")[1])
    finally:
        stop()
