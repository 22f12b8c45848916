"""Untrusted text is inert (issue 11): each hostile construct, ordinary text unchanged, linear time, and
every Slack surface fed a hostile incident, check and mailbox shows nothing live."""

from __future__ import annotations

import json
import random
import re
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bot.models import (
    BlacklistState,
    BlacklistStatus,
    Cause,
    CheckResult,
    Diagnosis,
    EventKind,
    IncidentKind,
    IncidentState,
    IPCheck,
    KnownServer,
    Listing,
    ListingStatus,
    Posture,
    ServerKind,
    ServerSource,
    Verdict,
    ZoneResult,
)
from bot.slack import blocks
from bot.slack.inert import ZWSP, inert
from bot.slack.notifier import SlackNotifier
from bot.slack.text_render import render_text
from bot.store.schema import outbox
from tests.events import ZEN_LISTING, event
from tests.slack import helpers

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

HOSTILE_CASES: list[tuple[str, str, str]] = [  # id, what a hostile bounce, TXT record or person sends, what Slack gets
    ("mention", "<@U0BOSS>", "&lt;@U0BOSS&gt;"),
    ("broadcast-token", "<!channel> <!here> <!subteam^S1>", "&lt;!channel&gt; &lt;!here&gt; &lt;!subteam^S1&gt;"),
    ("link-token", "<https://evil.example|click>", f"&lt;https:{ZWSP}//evil.example|click&gt;"),
    ("ampersand", "AT&T", "AT&amp;T"),
    ("bold", "*PAY NOW*", "∗PAY NOW∗"),
    ("italic", "_urgent_", "＿urgent＿"),
    ("strike", "~gone~", "∼gone∼"),
    ("code", "`rm -rf /`", "ˋrm -rf /ˋ"),
    ("code-block", "```block```", "ˋˋˋblockˋˋˋ"),
    ("quote", "> fake quote", "＞ fake quote"),
    ("quote-on-a-later-line", "ok\n> fake", "ok\n＞ fake"),
    ("quote-of-the-rest", ">>> all of it", "＞＞＞ all of it"),
    ("quote-indented", "  > fake", "  ＞ fake"),
    ("quote-already-escaped", "&gt; fake", "＞ fake"),
    ("quote-after-line-separator", "ok\u2028> fake", "ok\n＞ fake"),
    ("https", "see https://evil.example/x", f"see https:{ZWSP}//evil.example/x"),
    ("http", "http://evil.example", f"http:{ZWSP}//evil.example"),
    ("other-scheme", "ftp://evil.example", f"ftp:{ZWSP}//evil.example"),
    ("www", "www.evil.example and WWW.EVIL.EXAMPLE", f"www{ZWSP}.evil.example and WWW{ZWSP}.EVIL.EXAMPLE"),
    ("at-channel", "@channel", f"@{ZWSP}channel"),
    ("at-here", "hi @here!", f"hi @{ZWSP}here!"),
    ("at-everyone", "(@everyone)", f"(@{ZWSP}everyone)"),
    ("at-here-shouted", "@HERE", f"@{ZWSP}HERE"),
    ("shortcode", ":rotating_light: ALERT", f":{ZWSP}rotating_light: ALERT"),
    ("shortcodes-side-by-side", ":fire::fire:", f":{ZWSP}fire::{ZWSP}fire:"),
    ("shortcode-a-template-would-close", "x :rotating_light", f"x :{ZWSP}rotating_light"),
    ("shortcode-thumbs", ":+1:", f":{ZWSP}+1:"),
    ("bidi-override", "\u202emoc.elpmaxe\u202c", "moc.elpmaxe"),
    ("bidi-embedding", "\u202aa\u202bb\u202c", "ab"),
    ("bidi-isolates-and-marks", "\u2066a\u2067b\u2068c\u2069\u200e\u200f\u061c", "abc"),
    ("bell-escape-nul-del", "a\x07b\x1b[31mc\x00d\x7f", "ab[31mcd"),
    ("c1-controls", "a\x85b\x9bc", "abc"),
    ("carriage-returns", "one\r\ntwo", "one\ntwo"),
    ("tab", "a\tb", "a b"),
]

ORDINARY = [  # readable as it is: nothing in it can ping, format or link
    "Müller, Straße, Öl, Ärger",
    "東京の受信者は存在しません",
    "🚨 alert 👨‍👩‍👧 🇩🇪 ✅",
    "user_name@example.com",
    "first.last+tag@example.co.uk",
    "postmaster@here.com",
    "192.0.2.10",
    "2001:db8::1",
    "fe80::abcd:ef01:2:3",
    "127.0.0.1:5353",
    "12:30:45 UTC",
    "5.1.1",
    "550-5.7.1",
    "550 5.1.1 user@example.com: Recipient address rejected: User unknown in virtual mailbox table",
    "smtp; 550 5.7.1 Service unavailable; client [192.0.2.10] blocked using zen.spamhaus.org",
    "Spamhaus ZEN (127.0.0.2): SBL",
    "90 % were forged.",
    "v=spf1 ip4:192.0.2.0/24 -all",
    "snake_case_name and selector_2024",
    "Straßen_name@example.de",
    "two\nlines",
]


@pytest.mark.parametrize(("hostile", "shown"), [(h, s) for _, h, s in HOSTILE_CASES],
                         ids=[i for i, _, _ in HOSTILE_CASES])
def test_each_hostile_construct_is_disarmed(hostile: str, shown: str) -> None:
    assert inert(hostile) == shown


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_unchanged(text: str) -> None:
    assert inert(text) == text


@pytest.mark.parametrize(("text", "shown"), [
    ("<user@example.com>", "&lt;user@example.com&gt;"),  # Slack shows <user@example.com>
    ("a > b < c", "a &gt; b &lt; c"),
    ("_dmarc.example.com", "＿dmarc.example.com"),  # an `_` at a word edge could open _italics_
    ("x_ _y", "x＿ ＿y"),
    ("über_", "über＿"),
], ids=["angle-address", "comparison", "underscore-at-start", "underscores-at-edges",
        "underscore-after-a-non-ascii-letter"])
def test_readable_when_changed(text: str, shown: str) -> None:
    assert inert(text) == shown


def test_never_double_escapes() -> None:
    assert inert("&amp; &lt; &gt;") == "&amp; &lt; &gt;"
    assert inert("&copy; &#60;") == "&amp;copy; &amp;#60;"  # Slack decodes only the three: the rest is text
    for _, hostile, _ in HOSTILE_CASES:
        assert inert(inert(hostile)) == inert(hostile)
        assert inert(blocks.escape(hostile)) == inert(hostile)


def test_not_only_strings() -> None:
    assert inert(180) == "180" and inert(None) == "None" and inert(Cause.MIXED) == "mixed"


def test_random_hostile_text_is_inert_and_stays_so() -> None:
    pieces = ["<", ">", "&", "&amp;", "&lt;", "&gt;", "*", "_", "~", "`", ":", "a", "1", "f", " ", "\n", "@", "here",
              "channel", "everyone", "www", ".", "//", "https", "\u202e", "\x07", "\t", "\r", "\u2028",
              "rotating_light", "+", "ü", "東"]
    rnd = random.Random(11)
    for _ in range(3000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 40)))
        cleaned = inert(text)
        assert inert(cleaned) == cleaned, text
        assert_nothing_live(cleaned)
        assert not re.search(r"&(?!amp;|lt;|gt;)", cleaned), text


@pytest.mark.parametrize("unit", ["*_~", "<", "<<<>>>&", ":a", "::", "@here ", "> \n", "www.", "&amp;", "\u202e",
                                  "_", "http://", "a:b:", " "],
                         ids=lambda unit: repr(unit))
def test_a_megabyte_takes_well_under_a_second(unit: str) -> None:
    text = unit * (1_000_000 // len(unit)) + ">:x"
    took = []
    for _ in range(3):  # the best of up to three, so a busy machine does not fail it
        started = time.perf_counter()
        cleaned = inert(text)
        took.append(time.perf_counter() - started)
        if took[-1] < 1.0:
            break
    assert min(took) < 1.0
    assert "<" not in cleaned and "*" not in cleaned and "\u202e" not in cleaned


# --------------------------------------------------------------------------- every surface, fed hostile text

HOSTILE = (
    "<!channel> <@U0BOSS> <https://evil.example|click> @here @everyone @channel *PAY NOW* _urgent_ ~gone~ "
    "`rm -rf /` ```block``` https://evil.example/x http://evil.example www.evil.example :rotating_light: "
    "\u202emoc.elpmaxe\u202c \u2066iso\u2069 \x07\x1b[31m\x00\x7f\x85\x9b\n> fake quote\n>>> fake block\n"
    "&gt; escaped quote\n:rotating_light"
)
SENDER = "*ceo*@example.com<!here>"
DELIST = "https://check.spamhaus.org/"
CARD_URL = "https://slack.example/archives/C1/p1"
BOT_URLS = {DELIST, CARD_URL, "https://d.example/", "https://s.example/p1"}

INCIDENT = replace(
    helpers.INCIDENT,
    state=IncidentState.ACKNOWLEDGED,
    acknowledged_by=HOSTILE,
    diagnosis=Diagnosis(
        cause=Cause.BLACKLISTED,
        evidence=(f"58 bounces cite zen.spamhaus.org {HOSTILE}",
                  f"The most bounces for one of our senders: {SENDER} (12, to 9 domains)."),
        next_steps=(f"Lock the account {SENDER}.", HOSTILE),
    ),
    top_reasons=((HOSTILE, 80), ("userunknown", 40)),
    cited=((HOSTILE, 3), ("zen.spamhaus.org", 36)),
    blacklist=BlacklistStatus(state=BlacklistState.UNKNOWN, why=HOSTILE),
)


def hostile_check(verdict: Verdict, problems: tuple[str, ...]) -> CheckResult:
    zone = ZoneResult(zone="zen.spamhaus.org", list="Spamhaus ZEN", status=ListingStatus.LISTED, codes=(HOSTILE,),
                      meaning=HOSTILE, txt=HOSTILE, delist_url=DELIST)
    hood = ZoneResult(zone=HOSTILE, list=HOSTILE, status=ListingStatus.LISTED, informational=True)
    failed = ZoneResult(zone=HOSTILE, list=HOSTILE, status=ListingStatus.ERROR, problem=HOSTILE)
    return CheckResult(
        target="example.com",
        target_type="domain",
        checked_at=NOW,
        verdict=verdict,
        ips=(IPCheck(ip="192.0.2.10", sources=(HOSTILE,), results=(zone, hood, failed)),
             IPCheck(ip="10.0.0.1", sources=("spf",))),
        not_public=(("10.0.0.1", HOSTILE),),
        problems=problems,
        broken_zones=(HOSTILE,),
        notes=(HOSTILE,),
        posture=Posture(spf_record=HOSTILE, spf_lookups=3, spf_error=HOSTILE, dmarc_record=HOSTILE,
                        dmarc_error=HOSTILE, advice=(HOSTILE,)),
    )


def assert_nothing_live(payload: Any) -> None:
    """No string anywhere in `payload` can ping, link, format or disrupt; the bot's own links are there."""
    strings: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list | tuple):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            strings.append(node)

    walk(payload)
    for text in strings:
        bot_links = re.findall(r"<(https?://[^|>\s]+)\|[^>]*>", text)
        assert set(bot_links) <= BOT_URLS, bot_links
        rest = re.sub(r"<https?://[^|>\s]+\|[^>]*>", "", text)
        rest = re.sub(r"<!date\^\d+\^[^|>]*\|[^>]*>", "", rest)  # the bot's own dates
        assert "<!" not in rest and "<@" not in rest and "<http" not in rest and "://" not in rest, rest
        assert not re.search(r"(?<![\w.%+-])@(channel|here|everyone)\b", rest, re.IGNORECASE), rest
        assert not re.search(r":rotating_light(:|\Z)", rest) and "www.evil" not in rest, rest
        # Inside a code span Slack formats nothing: a record stays copyable there (inert.code_span).
        prose = re.sub(r"`[^`\n]*`", "", rest)
        assert "*PAY NOW*" not in prose and "_urgent_" not in prose and "~gone~" not in prose and "`rm" not in rest
        assert not re.search(r"^ *(>|&gt;)", rest, re.MULTILINE), rest
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]", rest), rest


def mrkdwn_objects(payload: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(payload)
    return found


@pytest.mark.parametrize("state", list(IncidentState))
def test_a_hostile_incident_card_shows_nothing_live(state: IncidentState) -> None:
    incident = replace(INCIDENT, state=state, resolved_by=HOSTILE if state is IncidentState.RESOLVED else None,
                       resolved_at=NOW if state is IncidentState.RESOLVED else None)
    card = blocks.incident_card(incident, now=NOW, delist_urls={ZEN_LISTING: DELIST})
    payload = card.payload()
    assert_nothing_live(payload)
    text = json.dumps(payload, ensure_ascii=False)
    assert f"<{DELIST}|delist>" in text, "the bot's delist links stay links"
    assert "*Top reasons*" in text and "*Why we think so*" in text, "the bot's own headings stay bold"
    shown = render_text(payload)
    assert "∗PAY NOW∗ ＿urgent＿ ∼gone∼" in shown and "<!channel>" in shown, "readable as text"
    assert mrkdwn_objects(payload) and all(o.get("verbatim") is True for o in mrkdwn_objects(payload))
    status = blocks.status_answer(incident, now=NOW, url=CARD_URL)
    assert_nothing_live(status.payload())
    assert f"<{CARD_URL}|" in json.dumps(status.payload())


@pytest.mark.parametrize("kind", list(EventKind))
@pytest.mark.parametrize("actor", [HOSTILE, None], ids=["hostile-actor", "monitor"])
@pytest.mark.parametrize("extra", [{}, {"incident_kind": IncidentKind.LISTING}, {"flood": True}],
                         ids=["plain", "listing", "flood"])
def test_every_hostile_followup_shows_nothing_live(
    kind: EventKind, actor: str | None, extra: dict[str, Any]
) -> None:
    incident = replace(INCIDENT, resolved_at=NOW, snoozed_until=NOW + timedelta(hours=1))
    happened = event(kind, at=NOW, detail=HOSTILE, actor=actor, **extra)
    message = blocks.followup(happened, incident, delist_urls={ZEN_LISTING: "https://d.example/"})
    assert message is not None
    assert_nothing_live(message.payload())
    if kind is EventKind.LISTED:
        assert "<https://d.example/|request delisting>" in json.dumps(message.payload())
    bad = event(kind, at=NOW, detail=HOSTILE, actor=actor, listing=Listing(HOSTILE, HOSTILE), **extra)
    worse = blocks.followup(bad, incident)
    assert worse is not None
    assert_nothing_live(worse.payload())


@pytest.mark.parametrize(("verdict", "problems"), [
    (Verdict.LISTED, (HOSTILE, HOSTILE)),
    (Verdict.UNKNOWN, (HOSTILE,)),
    (Verdict.UNKNOWN, ()),
    (Verdict.CLEAN, ()),
], ids=["listed", "unknown-one-reason", "unknown-from-the-store", "clean"])
def test_a_hostile_check_answer_shows_nothing_live(verdict: Verdict, problems: tuple[str, ...]) -> None:
    figures = blocks.BounceFigures(domain="example.com", window=timedelta(hours=1), in_window=120, threshold=50,
                                   last_24h=300, top_reasons=((HOSTILE, 80),))
    link = blocks.IncidentLink(incident_id=7, domain="example.com", state=IncidentState.OPEN, url=CARD_URL)
    result = hostile_check(verdict, problems)
    answer = blocks.check_answer(result, figures=figures, incident=link)
    assert_nothing_live(answer.payload())
    text = json.dumps(answer.payload())
    assert f"<{CARD_URL}|open the incident card>" in text
    if verdict is Verdict.LISTED:
        assert f"<{DELIST}|delist>" in text
    assert_nothing_live(blocks.recheck_answer(INCIDENT, result).payload())


def test_a_hostile_home_tab_usage_and_ops_notice_show_nothing_live(engine: Engine) -> None:
    home = blocks.home_view(blocks.HomeData(
        domains=(("example.com", INCIDENT), ("quiet.example", None)),
        incident_urls={7: "https://s.example/p1"},
        mailboxes=(blocks.MailboxStatus(name="postmaster", folder="INBOX", last_scan_at=NOW, last_error=HOSTILE,
                                        last_error_at=NOW),),
        now=NOW,
        servers={"example.com": (KnownServer(kind=ServerKind.HOST, value=HOSTILE, source=ServerSource.SPF),)},
        blacklists={"quiet.example": BlacklistStatus(state=BlacklistState.UNKNOWN, why=HOSTILE)},
    ))
    assert_nothing_live(home)
    assert "<https://s.example/p1|open card>" in json.dumps(home)
    assert_nothing_live(blocks.usage(HOSTILE).payload())
    assert_nothing_live(blocks.checking(HOSTILE))
    notifier = SlackNotifier(engine, channel="C0ALERTS", window=timedelta(hours=1), clock=lambda: NOW, charts=False)
    notifier.ops(HOSTILE)
    with engine.connect() as conn:
        (queued,) = conn.execute(select(outbox.c.payload)).scalars()
    assert str(queued["text"]).startswith("🛠️ ")
    assert_nothing_live(queued)


def test_the_diagnosis_keeps_its_own_command_spans_only() -> None:
    steps = ("Run `bouncecheck check example.com` to see our blacklist status.",
             "`rm -rf /`, then `bouncecheck check <!here>` and `bouncecheck check https://evil.example`")
    incident = replace(INCIDENT, diagnosis=Diagnosis(cause=Cause.MIXED, evidence=(), next_steps=steps))
    card = json.dumps(blocks.incident_card(incident, now=NOW).payload(), ensure_ascii=False)
    assert "1. Run `bouncecheck check example.com` to see our blacklist status." in card
    assert (f"2. ˋrm -rf /ˋ, then ˋbouncecheck check &lt;!here&gt;ˋ and ˋbouncecheck check https:{ZWSP}//evil.exampleˋ"
            in card)
    message = blocks.followup(event(EventKind.OPENED, at=NOW, detail=steps[0]), incident)
    assert message is not None and "`bouncecheck check example.com`" in json.dumps(message.payload())


def test_a_record_in_a_code_span_stays_copyable() -> None:
    from bot.slack.inert import code_span

    record = "v=spf1 include:_spf.example.net ip4:192.0.2.10 ~all"
    assert code_span(record) == f"`{record}`"
    assert code_span("a`b\n<!channel> & \u202e") == "`aˋb &lt;!channel&gt; &amp; `"
