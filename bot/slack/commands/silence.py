"""`/bouncecheck silence <domain> <duration> [reason]`, `/bouncecheck silences`, `/bouncecheck unsilence <domain>`.

Parsed by `parse` (pure, also in the ack's `decide`), carried out once by `carry_out` in the ack
itself: a store write, well within Slack's 3 s. While a domain is silenced its bounces are counted
and its incidents change, but nothing is posted (bot.slack.notifier); when the silence ends the
on-call job posts the card of an incident still open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.config import parse_duration, said
from bot.errors import UsageError
from bot.monitor.quiet import MAX_SILENCE, Quiet, QuietKind, quiet_for
from bot.reputation.check import parse_target
from bot.reputation.zones import ZoneType
from bot.slack import blocks, oncall_blocks, queries
from bot.slack.services import Services
from bot.store import silences_store

WORDS = ("silence", "silences", "unsilence")
USAGE = ("`/bouncecheck silence example.com 2h [reason]`, `/bouncecheck silences`, "
         "`/bouncecheck unsilence example.com`")


@dataclass(frozen=True, slots=True, kw_only=True)
class SilenceRequest:
    verb: str  # one of WORDS
    domain: str = ""
    span: timedelta | None = None
    reason: str = ""


def parse(words: list[str]) -> SilenceRequest:
    """The words after `/bouncecheck` → a request; UsageError in plain words."""
    verb, rest = words[0].lower(), words[1:]
    if verb == "silences":
        if rest:
            raise UsageError(f"`silences` takes nothing after it. {USAGE}")
        return SilenceRequest(verb=verb)
    if not rest:
        raise UsageError(f"Name the domain. {USAGE}")
    target = parse_target(rest[0])
    if target.type is not ZoneType.DOMAIN:
        raise UsageError(f"Silences are per domain, not per IP. {USAGE}")
    if verb == "unsilence":
        if len(rest) > 1:
            raise UsageError(f"`unsilence` takes only the domain. {USAGE}")
        return SilenceRequest(verb=verb, domain=target.value)
    if len(rest) < 2:
        raise UsageError(f"Say for how long, e.g. `2h` or `1d`. {USAGE}")
    try:
        span = parse_duration(rest[1])
    except ValueError as exc:
        raise UsageError(f"{exc}. {USAGE}") from None
    if span > MAX_SILENCE:
        raise UsageError(f"At most {said(MAX_SILENCE)}: a longer silence would hide a real problem.")
    return SilenceRequest(verb=verb, domain=target.value, span=span, reason=" ".join(rest[2:])[:500])


def carry_out(request: SilenceRequest, user: str, services: Services) -> blocks.Message:
    now = services.clock().replace(microsecond=0)
    if request.verb == "silences":
        with services.engine.connect() as conn:
            running = silences_store.running(conn, now)
        quiets = [q for d in _quiet_domains(services, [s.domain for s in running])
                  if (q := quiet_for(d, now, running, services.settings.maintenance))]
        return oncall_blocks.silences_list(quiets)
    with services.engine.begin() as conn:
        if request.verb == "unsilence":
            lifted = silences_store.lift(conn, request.domain, by=user, now=now)
        else:
            assert request.span is not None
            silences_store.add(conn, request.domain, starts_at=now, ends_at=now + request.span, set_by=user,
                               reason=request.reason)
    _refresh_card(request.domain, services)
    if request.verb == "unsilence":
        return oncall_blocks.unsilenced(request.domain, lifted)
    assert request.span is not None
    return oncall_blocks.silenced(Quiet(domain=request.domain, kind=QuietKind.SILENCE, until=now + request.span,
                                        by=user, reason=request.reason))


def _quiet_domains(services: Services, silenced: list[str]) -> list[str]:
    """The silenced domains, and the monitored ones (a maintenance window may hold them)."""
    return list(dict.fromkeys([*silenced, *services.settings.monitor.domains]))


def _refresh_card(domain: str, services: Services) -> None:
    """The domain's open incident's card says whether it is silenced (a click-like update: it shows)."""
    incident = queries.open_incident_of(services.engine, domain)
    if incident is not None:
        services.notifier.refresh_card(incident)
        services.kick()
