"""Pure Block Kit rendering: incident cards, thread follow-ups, /bouncecheck answers, usage, App Home.

Called by the notifier (cards and follow-ups go into the outbox) and by the listeners. Nothing here
does I/O; every string that came from mail, DNS or a person goes through `inert` (bot.slack.inert)
before it reaches mrkdwn, every mrkdwn object is `verbatim`, and every message is cut to Slack's limits
with a visible marker.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, assert_never

from bot.blocklists import describe
from bot.models import (
    Acknowledged,
    BecameFlood,
    BlacklistState,
    BlacklistStatus,
    Cause,
    CauseChanged,
    CheckResult,
    Delisted,
    EventKind,
    Grew,
    Incident,
    IncidentEvent,
    IncidentKind,
    IncidentState,
    KnownServer,
    Listed,
    Listing,
    ListingStatus,
    Opened,
    Posture,
    Resolved,
    SentVolume,
    ServerKind,
    Snoozed,
    Verdict,
    ZoneResult,
    alerting,
)
from bot.monitor.incidents import resolution_words
from bot.monitor.wording import others_said, rate_said
from bot.slack.inert import code_span
from bot.slack.inert import inert as inert  # re-exported: the notifier cleans ops notices with it

Block = dict[str, Any]

# Slack's limits (slack_sdk/models/blocks validators; msg_blocks_too_long fires near 13k in total).
MAX_BLOCKS = 50
MAX_HOME_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_FALLBACK_TEXT = 3000
MAX_MESSAGE_CHARS = 11_000
TRUNCATED = "… (truncated)"

# action_id of every interactive element; the listeners register on these.
ACK, RECHECK, SNOOZE, RESOLVE, POST_TO_CHANNEL = (
    "incident_acknowledge",
    "incident_recheck",
    "incident_snooze",
    "incident_resolve",
    "post_to_channel",
)
SNOOZE_CHOICES: tuple[tuple[str, str], ...] = (
    ("1h", "for 1 hour"),
    ("4h", "for 4 hours"),
    ("24h", "for 24 hours"),
)

STATE_LOOK: Mapping[IncidentState, tuple[str, str, str]] = {  # emoji, colour bar, label
    IncidentState.OPEN: ("🔴", "#D62828", "Open"),
    IncidentState.ACKNOWLEDGED: ("🟠", "#F4A261", "Acknowledged"),
    IncidentState.SNOOZED: ("⚪", "#9E9E9E", "Snoozed"),
    IncidentState.RESOLVED: ("✅", "#2A9D8F", "Resolved"),
}

CAUSE_LABEL: Mapping[Cause, str] = {
    Cause.BLACKLISTED: "Blacklisted: our IPs or domain are on a blocklist",
    Cause.BACKSCATTER: "Backscatter: bounces of mail forged in our name",
    Cause.COMPROMISED_SENDER: "Compromised sender: one of our accounts is sending spam",
    Cause.BAD_RECIPIENTS: "Bad recipients: our mail goes to addresses that do not exist",
    Cause.REMOTE_PROBLEM: "Remote problem: one receiving domain is failing",
    Cause.UNKNOWN_ORIGIN: "Unknown: most bounces cannot be placed as our mail or forged mail",
    Cause.MIXED: "Mixed: no single cause dominates",
}

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")


# --------------------------------------------------------------------------- the message record


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """A rendered message: fallback text (notifications, screen readers) and its blocks.

    With a `color` the blocks go into one attachment so Slack draws the state's colour bar.
    """

    text: str
    blocks: tuple[Block, ...]
    color: str | None = None

    def payload(self) -> dict[str, Any]:
        """The keyword arguments of chat.postMessage / chat.update / respond()."""
        if self.color:
            return {
                "text": self.text,
                "blocks": [],
                "attachments": [{"color": self.color, "blocks": list(self.blocks), "fallback": self.text}],
            }
        return {"text": self.text, "blocks": list(self.blocks)}


@dataclass(frozen=True, slots=True, kw_only=True)
class BounceFigures:
    """A domain's recent bounces, as the store counts them (for /bouncecheck answers)."""

    domain: str
    window: timedelta
    in_window: int  # failed recipients: the count every surface shows
    threshold: int  # effective: alert_bounces raised by the baseline, as the card shows it
    last_24h: int
    top_reasons: tuple[tuple[str, int], ...] = ()
    delayed: int = 0  # delay warnings in the window, not counted
    volume: SentVolume | None = None  # our bounce rate, where the domain has a healthy volume source
    volume_note: str = ""  # why a domain with a volume source has no rate now

    @property
    def alerting(self) -> bool:
        """As the evaluation judges it (bot/monitor/incidents.Observation.alerting)."""
        return alerting(self.in_window, self.threshold, self.volume)


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentLink:
    """Where an incident's card lives, to link to it."""

    incident_id: int
    domain: str
    state: IncidentState
    url: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class MailboxStatus:
    name: str
    folder: str
    last_scan_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class HomeData:
    """What the App Home tab shows."""

    domains: tuple[tuple[str, Incident | None], ...]  # monitored domain, its open incident
    incident_urls: Mapping[int, str] = field(default_factory=dict)
    mailboxes: tuple[MailboxStatus, ...] = ()
    now: datetime | None = None
    servers: Mapping[str, tuple[KnownServer, ...]] = field(default_factory=dict)  # monitored domain → ours
    figures: Mapping[str, BounceFigures] = field(default_factory=dict)  # the read model's, per domain
    blacklists: Mapping[str, BlacklistStatus] = field(default_factory=dict)  # per domain, from its last check
    delivery_problems: tuple[str, ...] = ()  # dead letters, a refused token, a long wait (bot/monitor/health.py)
    quiet: Mapping[str, str] = field(default_factory=dict)  # domain → its silence or maintenance window, said


# --------------------------------------------------------------------------- text helpers


# The old name of `inert`, kept for the callers that still say `escape`.
escape = inert

# The monitor's diagnosis writes whole sentences with bounce-derived values inside, so they are made
# inert whole; its own command suggestions (`bouncecheck check example.com`) get their code span back.
# Such a span holds a command and a domain name only, so wherever it came from it cannot ping, link or
# format anything.
_COMMAND_SPAN = re.compile(
    "\N{MODIFIER LETTER GRAVE ACCENT}(bouncecheck check(?: [A-Za-z0-9.-]+)?)\N{MODIFIER LETTER GRAVE ACCENT}"
)


def _sentence(text: str) -> str:
    """A sentence of the monitor's (evidence, next step, event detail), inert but for its command spans."""
    return _COMMAND_SPAN.sub(r"`\1`", inert(text))


def clip(text: str, limit: int) -> str:
    """Cut `text` to `limit` characters with a marker, never inside an `&amp;`-style entity or a `<…>` token."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(TRUNCATED)]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    opened = cut.rfind("<")
    if opened > cut.rfind(">"):  # a link, mention or date token cut in half would show as raw markup
        cut = cut[:opened]
    return cut + TRUNCATED


def link(url: str, label: str) -> str:
    """A mrkdwn link; the URL is only accepted as http(s) and cannot close the link early."""
    if not url.startswith(("https://", "http://")) or any(c in url for c in "<>| \n"):
        return inert(label)
    return f"<{url}|{inert(label).replace('|', '/')}>"


def user(user_id: str | None) -> str:
    """A mention of a Slack user ID, or the escaped text when it is not one."""
    if not user_id:
        return "someone"
    return f"<@{user_id}>" if _USER_ID.match(user_id) else inert(user_id)


def when(moment: datetime) -> str:
    """A date Slack shows in the reader's own time zone, with a UTC fallback."""
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


# A moment the monitor wrote into a sentence ("the check at 2026-12-01 11:59 UTC could not run"),
# not already a date token's fallback (after "|")
_UTC_MOMENT = re.compile(r"(?<![|\d])(\d{4}-\d{2}-\d{2} \d{2}:\d{2}) UTC(?![\d>])")


def local_times(text: str) -> str:
    """Every "YYYY-MM-DD HH:MM UTC" in `text` as a date Slack shows in the reader's time zone.

    The monitor's sentences keep UTC, which the console, the CLI and --json show as it is; only Slack
    knows each reader's zone, without a users.info call."""
    def local(found: re.Match[str]) -> str:
        try:
            moment = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
        except ValueError:  # "2026-13-45 99:99 UTC": left as written
            return found.group(0)
        return when(moment)

    return _UTC_MOMENT.sub(local, text) if " UTC" in text else text


def duration(span: timedelta) -> str:
    minutes = max(0, int(span.total_seconds() // 60))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = [
        f"{days}d" if days else "",
        f"{hours}h" if hours else "",
        f"{mins}m" if mins or not (days or hours) else "",
    ]
    return " ".join(p for p in parts if p)


def mrkdwn(text: str, limit: int = MAX_SECTION_TEXT) -> Block:
    """A mrkdwn text object. Verbatim: Slack does not link bare URLs or #channel names in it; the links,
    mentions and dates the bot writes as `<…>` still work, and `inert` has disarmed everything else."""
    return {"type": "mrkdwn", "text": clip(local_times(text), limit), "verbatim": True}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text)}


def fields(pairs: Sequence[tuple[str, str]]) -> Block:
    return {"type": "section", "fields": [mrkdwn(f"*{k}*\n{v}", 2000) for k, v in pairs[:10]]}


def header(text: str) -> Block:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": clip(text, MAX_HEADER_TEXT), "emoji": True},
    }


def context(*texts: str) -> Block:
    return {
        "type": "context",
        "elements": [mrkdwn(t) for t in texts[:10]],
    }


def button(text: str, action_id: str, value: str, *, style: str | None = None, confirm: Block | None = None) -> Block:
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": text[:75], "emoji": True},
        "action_id": action_id,
        "value": value[:2000],
    }
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element


DIVIDER: Block = {"type": "divider"}


def fit(
    blocks: Iterable[Block],
    *,
    max_blocks: int = MAX_BLOCKS,
    max_chars: int = MAX_MESSAGE_CHARS,
    keep_last: int = 0,
) -> tuple[Block, ...]:
    """Keep blocks within Slack's count and size limits; what is dropped is replaced by one marker.

    `keep_last` blocks (the buttons) are kept whatever happens to the ones before them.
    """
    items = list(blocks)
    tail = items[len(items) - keep_last :] if keep_last else []
    body = items[: len(items) - keep_last] if keep_last else items
    budget = max_chars - sum(_size(b) for b in tail) - 100
    kept: list[Block] = []
    used = 0
    for block in body:
        size = _size(block)
        if len(kept) + len(tail) >= max_blocks - 1 or used + size > budget:
            kept.append(
                context(
                    f"_{TRUNCATED.strip('… ')}: {len(body) - len(kept)} more "
                    f"block(s) left out to stay within Slack's limits._"
                )
            )
            break
        kept.append(block)
        used += size
    return (*kept, *tail)


def _size(block: Block) -> int:
    return len(repr(block))


def message_chars(message: Message) -> int:
    return sum(_size(b) for b in message.blocks)


# --------------------------------------------------------------------------- incident card


def incident_card(incident: Incident, *, now: datetime,
                  delist_urls: Mapping[Listing, str] | None = None) -> Message:
    """The live status card: parent message of the incident's thread, kept current with chat.update.

    Its blacklist section says what `incident.blacklist` allows: ✅ only for a recent check that
    answered for every list, else unknown and why, or not checked yet.
    """
    emoji, colour, label = STATE_LOOK[incident.state]
    domain = inert(incident.domain)
    facts = [
        ("State", f"{emoji} {label}" + _state_detail(incident)),
        ("Bounces in window", f"{incident.bounces_in_window} (threshold {incident.threshold})"
         + (": no bounce flood" if incident.kind is IncidentKind.LISTING else "")),
        *_rate_facts(incident),
        ("Peak", str(incident.peak)),
        ("Since", when(incident.opened_at)),
        ("Likely cause", inert(CAUSE_LABEL.get(incident.cause, str(incident.cause)))),
    ]
    if incident.acknowledged_by:
        facts.append(("Acknowledged by", user(incident.acknowledged_by)))
    if incident.resolution:
        facts.append(("What it was", inert(resolution_words(incident.resolution, incident.cause))))
    blocks: list[Block] = [header(f"{emoji} {headline(incident)}"), fields(facts)]
    if incident.resolution_note:
        blocks.append(section(f"*Resolution note*\n{inert(incident.resolution_note)}"))
    blocks += _diagnosis_blocks(incident)
    if incident.top_reasons:
        blocks.append(
            section(
                "*Top reasons*\n"
                + "\n".join(f"• {inert(reason)}: {count}" for reason, count in incident.top_reasons[:8])
            )
        )
    blocks.append(section(_listings_text(incident.listings, delist_urls or {}, incident.blacklist)
                          + _cited_text(incident.cited, incident.blacklist)))
    actions = _card_actions(incident)
    blocks.append(context(f"Incident #{incident.id} · {domain} · updated {when(incident.updated_at)}"))
    if actions:
        blocks.append(actions)
    fallback = (
        f"{emoji} {label}: {inert(headline(incident)[0].lower() + headline(incident)[1:])}: "
        f"{incident.bounces_in_window} bounces (threshold {incident.threshold}), likely {inert(incident.cause)}"
    )
    return Message(text=fallback, blocks=fit(blocks, keep_last=1 if actions else 0), color=colour)


def _rate_facts(incident: Incident) -> list[tuple[str, str]]:
    """The card's rate: ours as a share of what we sent, the rest apart; or why there is none."""
    if incident.volume is not None:
        others = others_said(incident.volume)
        return [("Our bounce rate", rate_said(incident.volume) + (f"; {others}" if others else ""))]
    if incident.volume_note:
        return [("Bounce rate", f"unknown ({inert(incident.volume_note)}): judged by the count")]
    return []


def headline(incident: Incident) -> str:
    """'Bounce flood on example.com', or for a listing without a flood 'example.com listed on zen.spamhaus.org'."""
    if incident.kind is IncidentKind.FLOOD:
        return f"Bounce flood on {incident.domain}"
    zones = list(dict.fromkeys(listing.zone for listing in incident.listings))
    where = f" on {', '.join(zones[:3])}{' and more' if len(zones) > 3 else ''}" if zones else ""
    return f"{incident.domain} listed{where}"


def _state_detail(incident: Incident) -> str:
    if incident.state is IncidentState.SNOOZED and incident.snoozed_until:
        return f" until {when(incident.snoozed_until)}"
    if incident.state is IncidentState.RESOLVED:
        by = f" by {user(incident.resolved_by)}" if incident.resolved_by else " automatically"
        at = f" {when(incident.resolved_at)}" if incident.resolved_at else ""
        return by + at
    return ""


def _diagnosis_blocks(incident: Incident) -> list[Block]:
    diagnosis = incident.diagnosis
    if diagnosis is None:
        return []
    blocks: list[Block] = []
    if diagnosis.evidence:
        blocks.append(section("*Why we think so*\n" + "\n".join(f"• {_sentence(e)}" for e in diagnosis.evidence)))
    if diagnosis.next_steps:
        blocks.append(
            section(
                "*What to do next*\n"
                + "\n".join(f"{n}. {_sentence(s)}" for n, s in enumerate(diagnosis.next_steps, 1))
            )
        )
    return blocks


def _listings_text(listings: Sequence[Listing], delist_urls: Mapping[Listing, str],
                   status: BlacklistStatus | None) -> str:
    """Listings we know of, then what the last check allows us to say about the rest."""
    state = status.state if status else BlacklistState.NOT_CHECKED
    when_checked = f" at {when(status.checked_at)}" if status and status.checked_at else ""
    why = inert(status.why) if status and status.why else "no blacklist check has run yet"
    if not listings:
        if state is BlacklistState.NOT_LISTED and status is not None:
            return (f"*Blacklists*\n✅ None of our IPs or domains is listed ({status.lists} lists answered, "
                    f"checked{when_checked}).")
        if state is BlacklistState.UNKNOWN:
            return f"*Blacklists*\n❔ Unknown: {why}."
        return f"*Blacklists*\n⏳ Not checked yet: {why}."
    lines = []
    for listing in listings:
        url = delist_urls.get(listing, "")
        delist = f" — {link(url, 'delist')}" if url else ""
        lines.append(f"• ⛔ {inert(listing.target)} on {inert(listing.zone)}{delist}")
    if state is BlacklistState.UNKNOWN:
        lines.append(f"❔ The rest is unknown: {why}.")
    return "*Blacklists*\n" + "\n".join(lines)


def _cited_text(cited: Sequence[tuple[str, int]], status: BlacklistStatus | None = None) -> str:
    """The lists the bounces cite, each with its delist link, or 'cited (list retired)' for a dead one."""
    if not cited:
        return ""
    lines = []
    if status is not None and status.state is BlacklistState.NOT_LISTED:
        # Not a contradiction, but it reads like one: say how both can be true.
        lines.append("Receivers cite these although our checked IPs are not listed: the listing may be of a "
                     "relay we do not check, or already expired.")
    for zone, count in cited:
        info = describe(zone)
        if info is None:
            lines.append(f"• {inert(zone)}: {count} (a list we do not know)")
            continue
        name = f"{inert(info.name)} ({inert(zone)})"
        if info.retired:
            now = f"; its listings moved to {inert(info.replaced_by)}" if info.replaced_by else ""
            lines.append(f"• {name}: {count}, cited (list retired{now})")
            continue
        url = info.delist_for()
        lines.append(f"• {name}: {count}" + (f" — {link(url, 'delist')}" if url else ""))
    return "\n*Cited in bounces*\n" + "\n".join(lines)


def _card_actions(incident: Incident) -> Block | None:
    if incident.state is IncidentState.RESOLVED:
        return None
    value = str(incident.id)
    elements: list[Block] = []
    if incident.state is not IncidentState.ACKNOWLEDGED:
        elements.append(button("Acknowledge", ACK, value, style="primary"))
    elements.append(button("Recheck", RECHECK, value))
    elements.append(
        {
            "type": "static_select",
            "action_id": SNOOZE,
            "placeholder": {"type": "plain_text", "text": "Snooze…"},
            "options": [
                {"text": {"type": "plain_text", "text": f"Snooze {label}"}, "value": f"{value}:{code}"}
                for code, label in SNOOZE_CHOICES
            ],
        }
    )
    # No confirm: the button opens the Resolve dialog (bot/slack/modals.py), which has its own Cancel.
    elements.append(button("Resolve", RESOLVE, value, style="danger"))
    return {"type": "actions", "block_id": f"incident:{incident.id}", "elements": elements}


# --------------------------------------------------------------------------- thread follow-ups


def followup(
    event: IncidentEvent, incident: Incident, *, delist_urls: Mapping[Listing, str] | None = None
) -> Message:
    """The thread reply for one incident event."""
    # A person's action is said in full by the line itself; the monitor's detail would repeat it.
    said_in_full = event.actor and event.kind in (EventKind.ACKNOWLEDGED, EventKind.SNOOZED, EventKind.RESOLVED)
    detail = f"\n{_sentence(event.detail)}" if event.detail and not said_in_full else ""
    text: str
    match event.data:
        case Opened(incident_kind=IncidentKind.LISTING) as opened:
            text = (f"⛔ Incident opened: {inert(headline(incident))}. {opened.count} bounces in the window "
                    f"(threshold {opened.threshold}): no bounce flood.{detail}")
        case Opened(volume=SentVolume() as volume):
            others = others_said(volume)
            text = (f"🔴 Incident opened: our bounce rate is {rate_said(volume)}"
                    + (f"; {others}" if others else "") + f". Likely cause: *{inert(incident.cause)}*.{detail}")
        case Opened():
            text = (f"🔴 Incident opened: {incident.bounces_in_window} bounces in the window "
                    f"(threshold {incident.threshold}). Likely cause: *{inert(incident.cause)}*.{detail}")
        case BecameFlood() as flood:
            was = f" (was {inert(flood.previous_cause)})" if flood.previous_cause is not flood.cause else ""
            text = (f"🔴 Now a bounce flood: {flood.count} bounces in the window (threshold {flood.threshold}). "
                    f"Likely cause: *{inert(flood.cause)}*{was}.{detail}")
        case Grew() as grew:
            text = f"📈 Bounces rose to *{grew.count}* in the window (was {grew.previous}).{detail}"
        case CauseChanged():
            text = f"🔎 Likely cause is now *{inert(CAUSE_LABEL.get(incident.cause, incident.cause))}*.{detail}"
        case Listed(listing=listing):
            url = (delist_urls or {}).get(listing, "")
            delist = f" — {link(url, 'request delisting')}" if url else ""
            text = f"⛔ Newly listed: {_listing(listing)}{delist}.{detail}"
        case Delisted(listing=listing):
            text = f"✅ No longer listed: {_listing(listing)}.{detail}"
        case Acknowledged():
            text = f"🟠 {user(event.actor)} acknowledged the incident.{detail}"
        case Snoozed(until=until):
            text = f"⚪ {user(event.actor)} snoozed thread updates until {when(until)}.{detail}"
        case Resolved(outcome=outcome, note=note):
            span = (incident.resolved_at or event.at) - incident.opened_at
            lasted = f"after {duration(span)}" if span >= timedelta(minutes=1) else "within a minute"  # not "0m"
            by = f"by {user(event.actor)}" if event.actor else "automatically (below threshold)"
            said = f" What it was: {inert(resolution_words(outcome, incident.cause))}." if outcome else ""
            text = (f"✅ Resolved {by} {lasted}.{said} Peak {incident.peak} bounces in the window "
                    f"on {inert(incident.domain)}.{detail}" + (f"\n📝 {inert(note)}" if note else ""))
        case _:
            assert_never(event.data)
    return Message(text=_plain(text), blocks=(section(text),))


def _listing(listing: Listing) -> str:
    return f"{inert(listing.target)} on {inert(listing.zone)}"


def recheck_answer(incident: Incident, result: CheckResult) -> Message:
    """The thread reply to the Recheck button or a `recheck` mention."""
    answer = check_answer(result, figures=None, incident=None, with_button=False)
    intro = section(f"🔁 Recheck of {inert(incident.domain)} for incident #{incident.id}:")
    return Message(text=f"🔁 Recheck: {answer.text}", blocks=fit((intro, *answer.blocks)))


def status_answer(incident: Incident, *, now: datetime, url: str | None) -> Message:
    """The reply to a `status` mention: the card's facts, in the thread."""
    card = incident_card(incident, now=now)
    blocks = [b for b in card.blocks if b.get("type") != "actions"]
    if url:
        blocks.append(context(link(url, "Open the incident card")))
    return Message(text=card.text, blocks=fit(blocks))


def _plain(mrkdwn: str) -> str:
    """Fallback text for notifications: the first line, without mrkdwn emphasis."""
    first = mrkdwn.split("\n", 1)[0].replace("*", "")
    return clip(first, MAX_FALLBACK_TEXT)


# --------------------------------------------------------------------------- /bouncecheck


VERDICT_LOOK: Mapping[Verdict, str] = {Verdict.LISTED: "⛔", Verdict.CLEAN: "✅", Verdict.UNKNOWN: "❔"}


def check_answer(
    result: CheckResult,
    *,
    figures: BounceFigures | None,
    incident: IncidentLink | None,
    with_button: bool = True,
) -> Message:
    """The /bouncecheck answer: verdict first, then listings, failures, posture, bounce figures.

    An unknown verdict says why (`result.problems`): in the headline when there is one reason,
    below it when there are more. Only a clean verdict gets a ✅.
    """
    target = inert(result.target)
    all_results = [
        *(("", r) for r in result.domain_results),
        *((ip.ip, r) for ip in result.ips for r in ip.results),
    ]
    listed = [(who, r) for who, r in all_results if r.status is ListingStatus.LISTED and not r.informational]
    failed = [(who, r) for who, r in all_results if r.status in (ListingStatus.ERROR, ListingStatus.TIMEOUT)]
    zones = len({r.zone for _, r in all_results})
    headline = _verdict_line(result, target, listed, failed, zones)
    blocks: list[Block] = [section(f"{VERDICT_LOOK.get(result.verdict, '❔')} *{headline}*")]
    not_public = dict(result.not_public)
    checked = [ip for ip in result.ips if ip.ip not in not_public]
    if checked:
        ips = ", ".join(inert(ip.ip) + (f" ({inert('/'.join(ip.sources))})" if ip.sources else "")
                        for ip in checked[:20])
        more = f" and {len(checked) - 20} more" if len(checked) > 20 else ""
        blocks.append(context(f"Checked IPs: {ips}{more}"))
    if unchecked := [(ip, what) for ip, what in result.not_public if ip != result.target]:
        blocks.append(context("Not checked, not a public address (blocklists do not list it): "
                              + ", ".join(f"{inert(ip)} ({inert(what)})" for ip, what in unchecked[:20])))
    if listed:
        blocks.append(section("*Listings*\n" + "\n".join(_listing_line(who or result.target, r) for who, r in listed)))
    informational = [(who, r) for who, r in all_results if r.status is ListingStatus.LISTED and r.informational]
    if informational:
        blocks.append(
            context(
                "For information (lists a neighbourhood, not you): "
                + ", ".join(f"{inert(who or result.target)} on {inert(r.list or r.zone)}" for who, r in informational)
            )
        )
    if result.problems:  # a single reason for an unknown verdict is its headline already
        said = result.verdict is Verdict.UNKNOWN and len(result.problems) == 1
        reasons = [] if said else [inert(p) for p in result.problems]
    else:  # a check read back from the store has no `problems`: its failed lookups say it
        reasons = [
            f"{inert(who or result.target)} on {inert(r.list or r.zone)}: {inert(r.status)}" for who, r in failed
        ]
    if reasons or result.broken_zones:
        lines = [f"• {reason}" for reason in reasons[:15]]
        if len(reasons) > 15:
            lines.append(f"• … and {len(reasons) - 15} more")
        if result.broken_zones:
            lines.append("• Broken zones (answers ignored): " + ", ".join(inert(z) for z in result.broken_zones))
        blocks.append(section("*Could not check*\n" + "\n".join(lines)))
    if result.posture:
        blocks.append(section(_posture_text(result.posture)))
    if result.notes:
        blocks.append(context(*(inert(n) for n in result.notes[:5])))
    if figures:
        blocks.append(section(_figures_text(figures)))
    if incident:
        look = STATE_LOOK[incident.state]
        where = link(incident.url, "open the incident card") if incident.url else "no card posted yet"
        blocks.append(
            section(
                f"{look[0]} Incident #{incident.incident_id} on {inert(incident.domain)} is "
                f"*{look[2].lower()}*: {where}."
            )
        )
    blocks.append(context(f"Checked {when(result.checked_at)}"))
    button_block = (
        {"type": "actions", "elements": [button("Post to channel", POST_TO_CHANNEL, result.target)]}
        if with_button
        else None
    )
    if button_block:
        blocks.append(button_block)
    return Message(
        text=_plain(f"{VERDICT_LOOK.get(result.verdict, '❔')} {headline}"),
        blocks=fit(blocks, keep_last=1 if button_block else 0),
    )


def _verdict_line(
    result: CheckResult,
    target: str,
    listed: Sequence[tuple[str, ZoneResult]],
    failed: Sequence[tuple[str, ZoneResult]],
    zones: int,
) -> str:
    if result.verdict is Verdict.LISTED:
        lists = len({r.zone for _, r in listed})
        return f"{target} is listed on {lists} blocklist{'s' if lists != 1 else ''}"
    if result.verdict is Verdict.CLEAN:
        return f"{target} is not listed on any of the {zones} blocklists checked"
    if result.target in dict(result.not_public):
        return inert(result.problems[0]) if result.problems else f"{target} is not a public address"
    if len(result.problems) == 1:
        return f"Could not tell whether {target} is listed because {inert(result.problems[0])}"
    if result.problems:
        return f"Could not tell whether {target} is listed because of the {len(result.problems)} problems below"
    if failed:
        return f"Could not tell whether {target} is listed: {len(failed)} lookup(s) failed"
    return f"Could not tell whether {target} is listed"


def _listing_line(who: str, result: ZoneResult) -> str:
    codes = f" ({inert(', '.join(result.codes))})" if result.codes else ""
    meaning = f": {inert(result.meaning)}" if result.meaning else ""
    txt = f"\n    _{inert(clip(result.txt, 300))}_" if result.txt else ""
    delist = f" — {link(result.delist_url, 'delist')}" if result.delist_url else ""
    return f"• ⛔ *{inert(result.list or result.zone)}* lists {inert(who)}{codes}{meaning}{delist}{txt}"


def _posture_text(posture: Posture) -> str:
    """SPF and DMARC, each published, not published, or not looked up (then it is never "none published")."""
    if posture.spf_record:
        spf = f"SPF {code_span(clip(posture.spf_record, 400))}"
        if posture.spf_lookups is not None:
            spf += f", {posture.spf_lookups} DNS lookups"
    elif posture.spf_lookup_problem:
        spf = f"SPF: could not look up: {inert(posture.spf_lookup_problem)}"
    else:
        spf = "SPF: none published"
    if posture.spf_error and (posture.spf_record or not posture.spf_lookup_problem):
        spf += f" ⚠️ {inert(posture.spf_error)}"
    if posture.dmarc_policy:
        dmarc = f"DMARC p={inert(posture.dmarc_policy)}"
    elif posture.dmarc_record:
        dmarc = f"DMARC {code_span(clip(posture.dmarc_record, 400))}"
    elif posture.dmarc_lookup_problem:
        dmarc = f"DMARC: could not look up: {inert(posture.dmarc_lookup_problem)}"
    else:
        dmarc = "DMARC: none published"
    if posture.dmarc_error and not posture.dmarc_lookup_problem:
        dmarc += f" ⚠️ {inert(posture.dmarc_error)}"
    advice = "".join(f"\n• {inert(a)}" for a in posture.advice)
    return f"*Posture*\n{spf}\n{dmarc}{advice}"


def _figures_text(figures: BounceFigures) -> str:
    reasons = ", ".join(f"{inert(r)} {n}" for r, n in figures.top_reasons[:5])
    return (
        f"*Recent bounces for {inert(figures.domain)}*\n{figures.in_window} in the last "
        f"{duration(figures.window)} (threshold {figures.threshold}), {figures.last_24h} in 24h"
        + (f"; {figures.delayed} delay warnings not counted" if figures.delayed else "")
        + (f"\n{_rate_line(figures)}" if figures.volume or figures.volume_note else "")
        + (f"\nTop reasons: {reasons}" if reasons else "")
    )


def _rate_line(figures: BounceFigures) -> str:
    if figures.volume is None:
        return f"Bounce rate unknown ({inert(figures.volume_note)}): judged by the count"
    others = others_said(figures.volume)
    return f"Our bounce rate: {rate_said(figures.volume)}" + (f"; {others}" if others else "")


# --------------------------------------------------------------------------- usage, refusals, App Home


def usage(problem: str | None = None) -> Message:
    lead = f"⚠️ {inert(problem)}\n\n" if problem else ""
    text = (
        f"{lead}*Usage:* `/bouncecheck &lt;domain | IP | address&gt;`\n"
        "• `/bouncecheck example.com`: blocklist status of the domain and its sending IPs, SPF/DMARC "
        "posture, recent bounces and any open incident\n"
        "• `/bouncecheck 192.0.2.10`: blocklist status of one IP\n"
        "• `/bouncecheck postmaster@example.com`: checks the address's domain\n"
        "• `/bouncecheck silence example.com 2h [reason]`: post nothing for the domain meanwhile "
        "(its bounces are still counted); `/bouncecheck silences`, `/bouncecheck unsilence example.com`\n"
        "In an incident thread, mention me with `status`, `recheck`, `resolve` or `help`."
    )
    return Message(text="Usage: /bouncecheck &lt;domain | IP | address&gt;", blocks=(section(text),))


def notice(text: str) -> Message:
    """A one-line note for a person: refusals, 'already resolved', errors."""
    return Message(text=_plain(text), blocks=(section(text),))


def checking(target: str) -> str:
    """The ack text of /bouncecheck, shown at once (`inert` is idempotent: an escaped target is fine too)."""
    return f"Checking {inert(target)}…"


def _home_domain_line(domain: str, incident: Incident | None, figures: BounceFigures | None,
                      status: BlacklistStatus | None, urls: Mapping[int, str]) -> str:
    """One domain's headline: its incident, or a ✅ only when it is below threshold and a check backs it."""
    if incident is not None:
        emoji, _, label = STATE_LOOK[incident.state]
        url = urls.get(incident.id)
        where = f" — {link(url, 'open card')}" if url else ""
        return (f"{emoji} {inert(domain)}: {label.lower()} incident #{incident.id}, likely "
                f"{inert(CAUSE_LABEL.get(incident.cause, incident.cause))}{where}")
    if figures is not None and figures.alerting:
        return f"⚠️ {inert(domain)}: above threshold, no open incident (resolved by a person, or not evaluated yet)"
    if status is not None and status.state is BlacklistState.NOT_LISTED:
        return f"✅ {inert(domain)}: no open incident, below threshold, not listed"
    if status is not None and status.state is BlacklistState.LISTED:
        return f"⛔ {inert(domain)}: listed, no open incident"
    return f"❔ {inert(domain)}: no open incident, below threshold; blacklist status unknown"


def _home_figures_line(figures: BounceFigures | None) -> str:
    if figures is None:
        return ""
    side = "above" if figures.alerting else "below"
    delayed = f", {figures.delayed} delay warnings not counted" if figures.delayed else ""
    rate = f"; {_rate_line(figures)}" if figures.volume or figures.volume_note else ""
    return (f"{figures.in_window} bounces in the last {duration(figures.window)} (threshold {figures.threshold}): "
            f"{side} threshold{delayed}{rate}")


def _home_blacklist_line(status: BlacklistStatus | None) -> str:
    if status is None:
        return ""
    checked = f"last check {when(status.checked_at)}" if status.checked_at else "not checked yet"
    if status.state is BlacklistState.NOT_LISTED:
        return f"Blacklists: ✅ not listed ({status.lists} lists answered, {checked})"
    if status.state is BlacklistState.LISTED:
        return f"Blacklists: ⛔ listed ({checked})"
    if status.state is BlacklistState.UNKNOWN:
        return f"Blacklists: ❔ unknown: {inert(status.why)}"
    return f"Blacklists: ⏳ {inert(status.why or 'not checked yet')}"


def servers_line(servers: Sequence[KnownServer], shown: int = 8) -> str:
    """'Our servers: 192.0.2.10 (spf) · mx.example.com (spf, mx) · …', or why none are known."""
    if not servers:
        return ("⚠️ Our servers are not known yet (no `sending_ips`, SPF and MX not learned): bounces of "
                "this domain's mail count as of unknown origin.")
    merged: dict[str, dict[str, None]] = {}
    for server in sorted(servers, key=lambda s: list(ServerKind).index(s.kind)):
        merged.setdefault(server.value, {})[str(server.source)] = None
    items = [f"{inert(value)} ({', '.join(sources)})" for value, sources in merged.items()]
    more = f" · and {len(items) - shown} more" if len(items) > shown else ""
    return "Our servers: " + " · ".join(items[:shown]) + more


def home_view(data: HomeData) -> dict[str, Any]:
    """The App Home tab: monitored domains with state, open incidents, mailbox health."""
    blocks: list[Block] = [header("bouncecheck"), section("*Monitored domains*")]
    if not data.domains:
        blocks.append(context("No domains configured: set `[monitor] domains`."))
    for domain, incident in data.domains:
        figures, status = data.figures.get(domain), data.blacklists.get(domain)
        blocks.append(section(_home_domain_line(domain, incident, figures, status, data.incident_urls)))
        details = [text for text in (_home_figures_line(figures), _home_blacklist_line(status)) if text]
        if domain in data.servers:
            details.append(servers_line(data.servers[domain]))
        if domain in data.quiet:
            details.append(data.quiet[domain])
        if details:
            blocks.append(context(*details))
    blocks += [DIVIDER, section("*Mailboxes*")]
    if not data.mailboxes:
        blocks.append(context("No mailbox scanned yet."))
    for box in data.mailboxes:
        scanned = when(box.last_scan_at) if box.last_scan_at else "never"
        error = (
            (
                f"\n⚠️ last error {when(box.last_error_at) if box.last_error_at else ''}: "
                f"{inert(clip(box.last_error, 500))}"
            )
            if box.last_error
            else ""
        )
        blocks.append(section(f"📬 *{inert(box.name)}* / {inert(box.folder)}: last scan {scanned}{error}"))
    if data.delivery_problems:
        blocks += [DIVIDER, section("*Slack delivery*")]
        blocks += [section(f"⚠️ {inert(clip(problem, 1000))}") for problem in data.delivery_problems]
    if data.now:
        blocks.append(context(f"Updated {when(data.now)} · reopen this tab to refresh"))
    return {"type": "home", "blocks": list(fit(blocks, max_blocks=MAX_HOME_BLOCKS, max_chars=100_000))}
