"""`/bouncecheck <domain | IP | address>`: ack at once with "Checking …", answer later via response_url.

The ack listener only parses and applies the access rules and the rate limit (no DNS), so it answers
well within Slack's 3 s; the lazy listener hands the check to the work pool, which responds with
the full answer (Bolt's own pool stays free for acks however slow DNS is).
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.errors import UsageError
from bot.reputation.check import Target, parse_target
from bot.reputation.zones import ZoneType
from bot.slack import blocks, queries
from bot.slack.commands import silence
from bot.slack.commands.silence import SilenceRequest
from bot.slack.failures import reported
from bot.slack.services import Services

COMMAND = "/bouncecheck"
# Slack may send what the user typed as a link: "<mailto:a@example.com|a@example.com>", "<http://example.com>".
# The link's target, not its label, is kept: parse_target takes a URL's host and a mailto's address.
# No `<` inside: an unclosed `<` then fails at the next `<`, not at the end of the text, so 16,000 of
# them cost linear time (the old pattern scanned to the end from each one: 8 s).
_SLACK_LINK = re.compile(r"<([^|<>]*)(?:\|[^<>]*)?>")


def register(app: App, services: Services) -> None:
    def ack_command(ack: Ack, command: dict[str, Any]) -> None:
        acknowledge(ack, command, services)

    def answer_command(respond: Respond, command: dict[str, Any]) -> None:
        services.work.submit(reported(answer, replaces_placeholder=True), respond=respond, command=command,
                             services=services)

    app.command(COMMAND)(ack=ack_command, lazy=[answer_command])


def clean_text(text: str) -> str:
    """What the user typed, without Slack's link markup and HTML escapes."""
    text = _SLACK_LINK.sub(lambda m: m.group(1), text or "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def decide(command: dict[str, Any], services: Services) -> Target | SilenceRequest | blocks.Message:
    """The target to check, a silence to carry out, or the message that answers instead (usage, refusal).
    Same answer on every call for one command, so the ack and the lazy listener agree."""
    text = clean_text(str(command.get("text", "")))
    if not text or text.lower() in {"help", "-h", "--help", "?"}:
        return blocks.usage()
    refusal = services.access.check(user=str(command.get("user_id", "")), channel=command.get("channel_id"))
    if refusal:
        return blocks.notice(refusal.message)
    words = text.split()
    if words[0].lower() in silence.WORDS:
        try:
            return silence.parse(words)
        except UsageError as exc:
            return blocks.notice(f"⚠️ {exc}")
    if len(words) > 1:
        return blocks.usage("Give one domain, IP address or email address.")
    try:
        target = parse_target(text)
    except UsageError as exc:
        return blocks.usage(str(exc))
    refusal = services.limiter.admit(str(command.get("user_id", "")), str(command.get("trigger_id") or id(command)))
    return blocks.notice(refusal.message) if refusal else target


def acknowledge(ack: Ack, command: dict[str, Any], services: Services) -> None:
    decision = decide(command, services)
    if isinstance(decision, blocks.Message):
        ack(**decision.payload())
    elif isinstance(decision, SilenceRequest):  # a store write: done in the ack, once
        ack(**silence.carry_out(decision, str(command.get("user_id", "")), services).payload())
    else:
        ack(text=blocks.checking(decision.value))


def answer(respond: Respond, command: dict[str, Any], services: Services) -> None:
    decision = decide(command, services)
    if isinstance(decision, blocks.Message | SilenceRequest):
        return  # the ack already said it
    message = render_check(decision, services)
    respond(**message.payload(), response_type="ephemeral", replace_original=True)


def render_check(target: Target, services: Services, *, with_button: bool = True) -> blocks.Message:
    """Run the check for `target` and render the answer with the store's bounce figures and incident."""
    settings = services.settings
    now = services.clock()
    figures = incident = None
    bounce_ips: tuple[str, ...] = ()
    if target.type is ZoneType.DOMAIN:
        bounce_ips = queries.sending_ips(services.engine, target.value, now)
        if target.value in settings.monitor.domains or bounce_ips:
            figures = queries.bounce_figures(services.engine, target.value, now=now, settings=settings)
        open_incident = queries.open_incident_of(services.engine, target.value)
        if open_incident:
            incident = queries.incident_link(services.engine, open_incident, settings.slack.api_url)
    result = services.check(target.value, bounce_ips)
    return blocks.check_answer(result, figures=figures, incident=incident, with_button=with_button)
