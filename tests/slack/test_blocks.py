"""Pure Block Kit rendering: escaping, limits, the card per state, follow-ups, the /bouncecheck answer."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.models import (
    BlacklistState,
    BlacklistStatus,
    Cause,
    CheckResult,
    Diagnosis,
    EventKind,
    IncidentEvent,
    IncidentKind,
    IncidentState,
    IPCheck,
    Listing,
    ListingStatus,
    Posture,
    ResolutionOutcome,
    Resolved,
    Verdict,
    ZoneResult,
)
from bot.slack import blocks
from bot.slack.text_render import render_text, render_view
from tests.events import ZEN_LISTING, event
from tests.slack.conftest import listed_result
from tests.slack.helpers import HOSTILE, INCIDENT, NOW


def all_text(message: blocks.Message) -> str:
    return json.dumps(message.payload(), ensure_ascii=False)


def mrkdwn_strings(message: blocks.Message) -> list[str]:
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(str(node["text"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.payload())
    return found


def assert_inert(message: blocks.Message) -> None:
    for text in mrkdwn_strings(message):
        assert "<!channel>" not in text and "<!here>" not in text and "<@U0BOSS>" not in text
        assert "<https://evil.example" not in text


def test_escape_makes_mentions_and_links_inert() -> None:
    assert blocks.escape(HOSTILE) == (  # the `://` of a bare URL is broken by a zero-width space
        "&lt;!channel&gt; &lt;@U0BOSS&gt; &lt;https:\u200b//evil.example|click&gt; &amp; &lt;!here&gt;"
    )


@pytest.mark.parametrize("state", list(IncidentState))
def test_card_per_state(state: IncidentState) -> None:
    incident = replace(
        INCIDENT,
        state=state,
        acknowledged_by="U0ALICE" if state is IncidentState.ACKNOWLEDGED else None,
        snoozed_until=NOW + timedelta(hours=4) if state is IncidentState.SNOOZED else None,
        resolved_at=NOW if state is IncidentState.RESOLVED else None,
    )
    card = blocks.incident_card(incident, now=NOW)
    payload = card.payload()
    assert payload["attachments"][0]["color"] == blocks.STATE_LOOK[state][1]
    text = render_text(payload)
    assert "Bounce flood on example.com" in text
    assert "120 (threshold 50)" in text and "Peak: 140" in text
    assert "delist (" not in text  # no catalogue given
    actions = [b for b in card.blocks if b["type"] == "actions"]
    if state is IncidentState.RESOLVED:
        assert not actions
    else:
        ids = [e["action_id"] for e in actions[0]["elements"]]
        assert blocks.RECHECK in ids and blocks.SNOOZE in ids and blocks.RESOLVE in ids
        assert (blocks.ACK in ids) is (state is not IncidentState.ACKNOWLEDGED)
    if state is IncidentState.ACKNOWLEDGED:
        assert "<@U0ALICE>" in all_text(card)
    assert_inert(card)


def test_card_delist_links_and_snooze_options() -> None:
    card = blocks.incident_card(
        INCIDENT, now=NOW, delist_urls={ZEN_LISTING: "https://check.spamhaus.org/"}
    )
    assert "<https://check.spamhaus.org/|delist>" in all_text(card)
    select = next(
        e for b in card.blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == blocks.SNOOZE
    )
    assert [o["value"] for o in select["options"]] == ["7:1h", "7:4h", "7:24h"]


def test_link_refuses_non_http_and_markup() -> None:
    assert blocks.link("javascript:alert(1)", "x") == "x"
    assert blocks.link("https://a.example/|<!channel>", "x") == "x"
    assert blocks.link("https://a.example/", "a|b") == "<https://a.example/|a/b>"


def test_user_mentions_only_real_ids() -> None:
    assert blocks.user("U0ALICE") == "<@U0ALICE>"
    assert blocks.user("<!channel>") == "&lt;!channel&gt;"


def test_limits_hold_for_a_huge_incident() -> None:
    huge = replace(
        INCIDENT,
        listings=tuple(Listing(f"192.0.2.{n}", f"zone{n}.example") for n in range(200)),
        top_reasons=tuple((f"reason{n}" * 50, n) for n in range(100)),
        diagnosis=Diagnosis(cause=Cause.MIXED, evidence=tuple("x" * 2900 for _ in range(60)), next_steps=("y" * 5000,)),
    )
    card = blocks.incident_card(huge, now=NOW)
    assert len(card.blocks) <= blocks.MAX_BLOCKS
    assert len(json.dumps(card.payload())) < 12_000
    for block in card.blocks:
        if "text" in block and block["type"] == "section":
            assert len(block["text"]["text"]) <= blocks.MAX_SECTION_TEXT
    assert card.blocks[-1]["type"] == "actions", "the buttons survive truncation"
    assert any(blocks.TRUNCATED.strip("… ") in json.dumps(b) for b in card.blocks)


def test_clip_never_cuts_an_entity() -> None:
    clipped = blocks.clip("a" * 20 + "&amp;" + "b" * 100, 36)
    assert clipped.endswith(blocks.TRUNCATED) and "&am" not in clipped.replace("&amp;", "")


@pytest.mark.parametrize("kind", list(EventKind))
def test_followups(kind: EventKind) -> None:
    incident = replace(INCIDENT, resolved_at=NOW, snoozed_until=NOW + timedelta(hours=1))
    happened = event(kind, at=NOW, detail=HOSTILE, actor="U0ALICE")
    message = blocks.followup(happened, incident, delist_urls={ZEN_LISTING: "https://d.example/"})
    assert message is not None
    assert_inert(message)
    text = render_text(message.payload())
    expected = {
        EventKind.GREW: "rose to 180",
        EventKind.LISTED: "Newly listed: 192.0.2.10 on zen.spamhaus.org",
        EventKind.DELISTED: "No longer listed",
        EventKind.ACKNOWLEDGED: "@U0ALICE acknowledged",
        EventKind.SNOOZED: "snoozed thread updates until",
        EventKind.RESOLVED: "Resolved by @U0ALICE after 1h",
        EventKind.OPENED: "Incident opened",
        EventKind.CAUSE_CHANGED: "Likely cause is now",
    }[kind]
    assert expected in text


def test_a_listing_incident_never_claims_a_flood() -> None:
    listing = replace(INCIDENT, kind=IncidentKind.LISTING, bounces_in_window=0, peak=0,
                      listings=(ZEN_LISTING, Listing("example.com", "dbl.spamhaus.org")))
    card = blocks.incident_card(listing, now=NOW)
    text = render_text(card.payload())
    assert "example.com listed on zen.spamhaus.org, dbl.spamhaus.org" in text
    assert "Bounces in window: 0 (threshold 50): no bounce flood" in text
    assert "flood on" not in text.lower() and "flood on" not in card.text.lower()
    opened = event(EventKind.OPENED, at=NOW, count=0, threshold=50, incident_kind=IncidentKind.LISTING)
    message = blocks.followup(opened, listing)
    assert message is not None
    assert " ".join(render_text(message.payload()).split()) == (
        "⛔ Incident opened: example.com listed on zen.spamhaus.org, dbl.spamhaus.org. 0 bounces in the window "
        "(threshold 50): no bounce flood.")


def test_a_listing_become_a_flood_says_so_with_its_cause() -> None:
    flood = replace(INCIDENT, cause=Cause.BACKSCATTER)
    became = event(EventKind.GREW, at=NOW, detail="90 % were forged.", previous=0, count=60, threshold=20,
                   flood=True)
    message = blocks.followup(became, flood)
    assert message is not None
    assert " ".join(render_text(message.payload()).split()) == (
        "🔴 Now a bounce flood: 60 bounces in the window (threshold 20). Likely cause: backscatter (was "
        "blacklisted). 90 % were forged.")
    assert "Bounce flood on example.com" in render_text(blocks.incident_card(flood, now=NOW).payload())


def test_automatic_resolution_says_so() -> None:
    message = blocks.followup(event(EventKind.RESOLVED, at=NOW, by_person=False), replace(INCIDENT, resolved_at=NOW))
    assert message is not None and "automatically" in message.text


def test_a_resolution_from_the_dialog_says_what_it_was_and_shows_the_note() -> None:
    note = f"Relay misconfigured.\n{HOSTILE}"
    resolved = replace(INCIDENT, state=IncidentState.RESOLVED, resolved_at=NOW, resolved_by="U0ALICE",
                       resolution=ResolutionOutcome.CONFIRMED, resolution_note=note)
    happened = IncidentEvent(incident_id=7, at=NOW, actor="U0ALICE",
                             data=Resolved(by_person=True, outcome=ResolutionOutcome.CONFIRMED, note=note))
    message = blocks.followup(happened, resolved)
    assert_inert(message)
    text = render_text(message.payload())
    assert "Resolved by @U0ALICE after 1h. What it was: the likely cause (blacklisted) was the cause." in text
    assert "📝 Relay misconfigured." in text and "&lt;!channel&gt;" in all_text(message)
    card = blocks.incident_card(resolved, now=NOW)
    assert_inert(card)
    shown = render_text(card.payload())
    assert "What it was: the likely cause (blacklisted) was the cause" in shown
    assert "Resolution note" in shown and "Relay misconfigured." in shown


def test_a_resolution_that_said_nothing_shows_nothing_more() -> None:
    resolved = replace(INCIDENT, state=IncidentState.RESOLVED, resolved_at=NOW, resolved_by="U0ALICE")
    happened = IncidentEvent(incident_id=7, at=NOW, actor="U0ALICE", data=Resolved(by_person=True))
    assert "What it was" not in render_text(blocks.followup(happened, resolved).payload())
    shown = render_text(blocks.incident_card(resolved, now=NOW).payload())
    assert "What it was" not in shown and "Resolution note" not in shown


def test_the_resolve_button_opens_the_dialog_without_a_confirm_first() -> None:
    card = blocks.incident_card(INCIDENT, now=NOW)
    (actions,) = [b for b in card.blocks if b["type"] == "actions"]
    (resolve,) = [e for e in actions["elements"] if e.get("action_id") == blocks.RESOLVE]
    assert resolve["value"] == "7" and "confirm" not in resolve


def test_check_answer_verdict_first_with_listings_posture_and_button() -> None:
    figures = blocks.BounceFigures(
        domain="example.com",
        window=timedelta(hours=1),
        in_window=120,
        threshold=50,
        last_24h=300,
        top_reasons=(("blocked", 80),),
    )
    link = blocks.IncidentLink(
        incident_id=7, domain="example.com", state=IncidentState.OPEN, url="https://slack.example/archives/C1/p1"
    )
    answer = blocks.check_answer(listed_result(), figures=figures, incident=link)
    text = render_text(answer.payload())
    first = text.splitlines()[0]
    assert first.startswith("⛔") and "listed on 1 blocklist" in first
    assert "Spamhaus ZEN lists 192.0.2.10 (127.0.0.2): SBL — delist (https://check.spamhaus.org/)" in text
    assert "DMARC p=none" in text and "120 in the last 1h (threshold 50), 300 in 24h" in text
    assert "Incident #7 on example.com is open: open the incident card" in text
    assert answer.blocks[-1]["elements"][0]["action_id"] == blocks.POST_TO_CHANNEL


def test_check_answer_unknown_is_never_called_clean() -> None:
    result = CheckResult(
        target="192.0.2.1",
        target_type="ip",
        checked_at=NOW,
        verdict=Verdict.UNKNOWN,
        ips=(
            IPCheck(
                ip="192.0.2.1",
                sources=(),
                results=(ZoneResult(zone="zen.spamhaus.org", list="Spamhaus ZEN", status=ListingStatus.TIMEOUT),),
            ),
        ),
        broken_zones=("dead.example",),
    )
    text = render_text(blocks.check_answer(result, figures=None, incident=None).payload())
    assert text.startswith("❔ Could not tell") and "timeout" in text and "dead.example" in text
    assert "not listed" not in text


FAULT = (
    "the resolver 127.0.0.1:5353 answers NXDOMAIN for every blacklist's test entry: it is at fault, not the "
    "lists, and what it says does not exist at example.com cannot be trusted either; point [dns] nameservers "
    "at a working resolver"
)


def _unknown(**fields: object) -> CheckResult:
    base = CheckResult(target="example.com", target_type="domain", checked_at=NOW, verdict=Verdict.UNKNOWN)
    return replace(base, **fields)  # type: ignore[arg-type]


def _answer(result: CheckResult) -> str:
    return render_text(blocks.check_answer(result, figures=None, incident=None, with_button=False).payload())


def _headline(result: CheckResult) -> str:
    return mrkdwn_strings(blocks.check_answer(result, figures=None, incident=None))[0]


def test_check_answer_blames_a_resolver_at_fault_once() -> None:
    dbl = ZoneResult(zone="dbl.spamhaus.org", list="Spamhaus DBL", status=ListingStatus.ERROR,
                     problem="resolver at fault")
    posture = Posture(spf_lookup_problem="resolver at fault", dmarc_lookup_problem="resolver at fault")
    result = _unknown(problems=(FAULT,), domain_results=(dbl,), posture=posture)
    assert _headline(result) == f"❔ *Could not tell whether example.com is listed because {FAULT}*"
    text = _answer(result)
    assert text.count("at fault, not the lists") == 1 and "Could not check" not in text
    assert "SPF: could not look up: resolver at fault" in text and "DMARC: could not look up: resolver at fault" in text
    assert "none published" not in text and "✅" not in text


def test_check_answer_lists_several_reasons_below_the_verdict() -> None:
    problems = ("SPF lookup of example.com: SERVFAIL", "MX lookup of example.com: SERVFAIL",
                "A and AAAA lookups of example.com failed", "DMARC lookup of example.com: SERVFAIL")
    posture = Posture(spf_error="SPF lookup error: SERVFAIL", spf_lookup_problem="SERVFAIL",
                      dmarc_error="DMARC lookup for example.com error: SERVFAIL", dmarc_lookup_problem="SERVFAIL")
    lines = _answer(_unknown(problems=problems, posture=posture)).splitlines()
    assert lines[:6] == ["❔ Could not tell whether example.com is listed because of the 4 problems below",
                         "Could not check", *(f"• {p}" for p in problems)]
    assert lines[6:9] == ["Posture", "SPF: could not look up: SERVFAIL", "DMARC: could not look up: SERVFAIL"]


def test_check_answer_of_a_dmarc_timeout() -> None:
    posture = Posture(spf_record="v=spf1 -all", spf_valid=True, spf_lookups=0,
                      dmarc_error="DMARC lookup for example.com timeout: no answer within 1s",
                      dmarc_lookup_problem="timeout (no answer within 1s)")
    result = _unknown(problems=("DMARC lookup of example.com: timeout (no answer within 1s)",), posture=posture)
    assert _headline(result) == ("❔ *Could not tell whether example.com is listed because "
                                 "DMARC lookup of example.com: timeout (no answer within 1s)*")
    lines = _answer(result).splitlines()
    assert "DMARC: could not look up: timeout (no answer within 1s)" in lines
    assert not any("fix it" in line or "ublish" in line for line in lines)


def test_check_answer_of_a_private_ip_is_never_a_tick() -> None:
    problem = "10.0.0.1 is not a public address: blocklists do not list it (private network, RFC 1918)"
    result = _unknown(target="10.0.0.1", target_type="ip", ips=(IPCheck(ip="10.0.0.1", sources=()),),
                      problems=(problem,), not_public=(("10.0.0.1", "private network, RFC 1918"),))
    answer = blocks.check_answer(result, figures=None, incident=None, with_button=False)
    assert answer.text == f"❔ {problem}"
    assert render_text(answer.payload()).splitlines()[0] == f"❔ {problem}"
    assert "✅" not in all_text(answer) and "Checked IPs" not in all_text(answer)


def test_check_answer_shows_a_domain_s_private_sending_ip_as_not_checked() -> None:
    checked = IPCheck(ip="192.0.2.10", sources=("spf",), results=(
        ZoneResult(zone="zen.spamhaus.org", list="Spamhaus ZEN", status=ListingStatus.NOT_LISTED),))
    result = _unknown(verdict=Verdict.CLEAN, ips=(IPCheck(ip="10.0.0.1", sources=("spf",)), checked),
                      not_public=(("10.0.0.1", "private network, RFC 1918"),))
    answer = blocks.check_answer(result, figures=None, incident=None, with_button=False)
    assert mrkdwn_strings(answer)[:3] == [
        "✅ *example.com is not listed on any of the 1 blocklists checked*",
        "Checked IPs: 192.0.2.10 (spf)",
        "Not checked, not a public address (blocklists do not list it): 10.0.0.1 (private network, RFC 1918)",
    ]


def test_check_answer_listed_still_says_what_could_not_be_checked() -> None:
    result = replace(listed_result(), problems=("MX lookup of example.com: SERVFAIL",))
    text = _answer(result)
    assert text.startswith("⛔ example.com is listed on 1 blocklist")
    assert "Could not check\n• MX lookup of example.com: SERVFAIL" in text


def test_check_answer_escapes_dns_text() -> None:
    result = replace(
        listed_result(),
        ips=(
            IPCheck(
                ip="192.0.2.10",
                sources=("spf",),
                results=(
                    ZoneResult(
                        zone="zen.spamhaus.org",
                        list="Spamhaus ZEN",
                        status=ListingStatus.LISTED,
                        txt=HOSTILE,
                        meaning=HOSTILE,
                    ),
                ),
            ),
        ),
    )
    assert_inert(blocks.check_answer(result, figures=None, incident=None))


def test_usage_and_home() -> None:
    assert "/bouncecheck <domain | IP | address>" in render_text(blocks.usage("bad <!channel>").payload())
    assert_inert(blocks.usage("bad <!channel>"))
    home = blocks.home_view(
        blocks.HomeData(
            domains=(("example.com", INCIDENT), ("quiet.example", None), ("resolved.example", None),
                     ("unchecked.example", None)),
            incident_urls={7: "https://s.example/p1"},
            figures={d: blocks.BounceFigures(domain=d, window=timedelta(hours=1), in_window=n, threshold=50,
                                             last_24h=n, delayed=4)
                     for d, n in (("example.com", 120), ("quiet.example", 3), ("resolved.example", 274),
                                  ("unchecked.example", 0))},
            blacklists={"quiet.example": BlacklistStatus(state=BlacklistState.NOT_LISTED, lists=11, checked_at=NOW),
                        "resolved.example": BlacklistStatus(state=BlacklistState.NOT_LISTED, lists=11,
                                                            checked_at=NOW),
                        "unchecked.example": BlacklistStatus(state=BlacklistState.UNKNOWN,
                                                             why="the check at 11:58 UTC could not run: timeout")},
            mailboxes=(
                blocks.MailboxStatus(
                    name="postmaster", folder="INBOX", last_scan_at=NOW, last_error=HOSTILE, last_error_at=NOW
                ),
            ),
        )
    )
    assert home["type"] == "home"
    text = render_view(home, width=300)
    assert "example.com: open incident #7, likely Blacklisted" in text
    assert "120 bounces in the last 1h (threshold 50): above threshold, 4 delay warnings not counted" in text
    assert "✅ quiet.example: no open incident, below threshold, not listed" in text
    # Resolved by a person while still flooding: never "quiet".
    assert "⚠️ resolved.example: above threshold, no open incident" in text
    assert "274 bounces in the last 1h (threshold 50): above threshold" in text
    assert "❔ unchecked.example: no open incident, below threshold; blacklist status unknown" in text
    assert "Blacklists: ❔ unknown: the check at 11:58 UTC could not run: timeout" in text
    assert "✅ unchecked.example" not in text and "✅ resolved.example" not in text
    assert "postmaster / INBOX: last scan 2026-11-27 12:00 UTC" in text
    assert "&lt;!channel&gt;" in json.dumps(home)


@pytest.mark.parametrize(("status", "says"), [
    (None, "⏳ Not checked yet: no blacklist check has run yet."),
    (BlacklistStatus(state=BlacklistState.NOT_CHECKED, why="no blacklist check has run yet"),
     "⏳ Not checked yet: no blacklist check has run yet."),
    (BlacklistStatus(state=BlacklistState.UNKNOWN, why="the check at 11:59 UTC could not run: resolver down",
                     checked_at=NOW), "❔ Unknown: the check at 11:59 UTC could not run: resolver down."),
    (BlacklistStatus(state=BlacklistState.NOT_LISTED, checked_at=NOW - timedelta(minutes=5), lists=11),
     "✅ None of our IPs or domains is listed (11 lists answered, checked at 2026-11-27 11:55 UTC)."),
], ids=["no-status", "not-checked", "unknown", "clean"])
def test_the_card_says_only_what_the_check_allows(status: BlacklistStatus | None, says: str) -> None:
    card = blocks.incident_card(replace(INCIDENT, listings=(), blacklist=status), now=NOW)
    text = " ".join(render_text(card.payload()).replace("┃ ", "").split())
    assert says in text
    assert ("✅" in text) is (status is not None and status.state is BlacklistState.NOT_LISTED)


def test_known_listings_stay_and_the_rest_is_unknown_when_a_recheck_fails() -> None:
    status = BlacklistStatus(state=BlacklistState.UNKNOWN, why="the check at 11:59 UTC could not run: timeout")
    text = render_text(blocks.incident_card(replace(INCIDENT, blacklist=status), now=NOW).payload())
    assert "⛔ 192.0.2.10 on zen.spamhaus.org" in text
    assert "❔ The rest is unknown: the check at 11:59 UTC could not run: timeout." in " ".join(text.split())


def test_cited_lists_get_their_delist_link_and_a_retired_one_says_so() -> None:
    cited = (("zen.spamhaus.org", 36), ("cbl.abuseat.org", 4), ("dnsbl.dronebl.org", 3), ("rbl.nowhere.example", 1))
    text = " ".join(render_text(blocks.incident_card(replace(INCIDENT, cited=cited), now=NOW).payload()).split())
    assert "Cited in bounces" in text
    assert "Spamhaus ZEN (zen.spamhaus.org): 36 — delist (https://check.spamhaus.org/" in text
    assert "(cbl.abuseat.org): 4, cited (list retired; its listings moved to zen.spamhaus.org)" in text
    assert "(dnsbl.dronebl.org): 3 — delist (https://" in text  # cited only, never queried: still its page
    assert "rbl.nowhere.example: 1 (a list we do not know)" in text


def test_a_resolution_within_the_first_minute_says_so_not_0m() -> None:
    quick = replace(INCIDENT, resolved_at=INCIDENT.opened_at + timedelta(seconds=40))
    message = blocks.followup(event(EventKind.RESOLVED, at=quick.resolved_at, actor="U0ALICE"), quick)
    text = render_text(message.payload())
    assert "Resolved by @U0ALICE within a minute" in text and "0m" not in text


def test_an_ip_target_shows_no_empty_parentheses() -> None:
    from bot.models import CheckResult, IPCheck, Verdict

    result = CheckResult(target="192.0.2.1", target_type="ip", checked_at=NOW,
                         ips=(IPCheck(ip="192.0.2.1", sources=()),), verdict=Verdict.CLEAN)
    text = render_text(blocks.check_answer(result, figures=None, incident=None).payload())
    assert "Checked IPs: 192.0.2.1" in text and "()" not in text


def test_times_in_the_monitors_sentences_show_in_each_readers_time_zone() -> None:
    status = BlacklistStatus(state=BlacklistState.UNKNOWN,
                             why="the check at 2026-11-27 11:58 UTC could not run: timeout")
    raw = json.dumps(blocks.incident_card(replace(INCIDENT, listings=(), blacklist=status), now=NOW).payload())
    at = int(datetime(2026, 11, 27, 11, 58, tzinfo=UTC).timestamp())
    assert f"the check at <!date^{at}^{{date_short_pretty}} {{time}}|2026-11-27 11:58 UTC> could not run" in raw
    assert "UTC could not run" not in raw.replace("UTC> could not run", ""), "no time left in UTC only"
    # the bot's own date tokens are not wrapped again
    assert blocks.local_times(blocks.when(NOW)) == blocks.when(NOW)
    assert blocks.local_times("build 2026-13-45 99:99 UTC") == "build 2026-13-45 99:99 UTC"


def test_a_cut_text_never_ends_inside_a_date_or_link_token() -> None:
    text = blocks.mrkdwn("x" * 2950 + " last error 2026-12-01 10:00 UTC: and more words after it")["text"]
    head = text.removesuffix(blocks.TRUNCATED)
    assert head.rfind("<") <= head.rfind(">"), text[-80:]
